/* replay.c - runs a fuzz target's LLVMFuzzerTestOneInput on saved inputs,
 * without libFuzzer (any C99 compiler; used by `make fuzz-replay`).
 *
 *   replay DIR_OR_FILE...
 *
 * Every regular file of each directory (not recursive; names starting with
 * '.' and README files skipped), and every file given by name, is read into a
 * buffer of exactly its size and passed to the target. Prints the count;
 * exits 1 when no input was found or a file cannot be read. A failing
 * property aborts, as under libFuzzer. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, size_t *count) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t size = 0, cap = 0;
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t n;
        if (size == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            unsigned char *p = (unsigned char *)realloc(buf, ncap);
            if (p == NULL) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = p;
            cap = ncap;
        }
        n = fread(buf + size, 1, cap - size, f);
        size += n;
        if (n == 0) break;
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    {
        /* an exact copy, so that ASan catches a read one byte past the end */
        unsigned char *exact = (unsigned char *)malloc(size ? size : 1);
        if (exact == NULL) {
            free(buf);
            return -1;
        }
        if (size) memcpy(exact, buf, size);
        free(buf);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    (*count)++;
    return 0;
}

static int skipped_name(const char *name) {
    return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (skipped_name(e->d_name)) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **p = (char **)realloc(names, ncap * sizeof *p);
            if (p == NULL) {
                rc = -1;
                break;
            }
            names = p;
            cap = ncap;
        }
        names[n] = (char *)malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (names != NULL) qsort(names, n, sizeof *names, cmp_names); /* stable order */
    for (i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
            run_file(names[i], count) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    if (rc != 0) fprintf(stderr, "replay: %s: failed\n", dir);
    return rc;
}

int main(int argc, char **argv) {
    size_t total = 0;
    int i, rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;
        size_t count = 0;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }
        if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i], &count))
            rc = 1;
        printf("replay: %s: %zu inputs\n", argv[i], count);
        total += count;
    }
    printf("replay: %zu inputs passed\n", total);
    if (total == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    return rc;
}
