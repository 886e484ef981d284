/* startup.c - reset, semihosting output and exit, and the stack paint that
 * measures the stack's high-water mark, for the firmware tests (QEMU
 * mps2-an386, Cortex-M4). */
#include <stddef.h>
#include <stdint.h>

#include "fw.h"

extern uint32_t _sbss[], _ebss[], _sstack[], _estack[];
int main(void);
void fw_reset(void);
static void fw_fault(void);

/* initial SP, reset, NMI, HardFault: nothing here enables an interrupt, and
 * the configurable faults, left disabled, escalate to HardFault */
__attribute__((section(".isr_vector"), used)) static void (*const fw_vectors[4])(void) = {
    (void (*)(void))(uintptr_t)_estack, fw_reset, fw_fault, fw_fault};

#define FW_PAINT 0xA5A5A5A5u

static int fw_semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void fw_puts(const char *s) { (void)fw_semihost(0x04, s); /* SYS_WRITE0 */ }

void fw_putu(const char *label, unsigned long v) {
    char buf[12], *p = buf + sizeof buf;
    fw_puts(label);
    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fw_puts(p);
}

void fw_exit(int ok) {
    /* SYS_EXIT: ADP_Stopped_ApplicationExit ends QEMU with status 0,
     * ADP_Stopped_RunTimeErrorUnknown with status 1 */
    (void)fw_semihost(0x18, (const void *)(uintptr_t)(ok ? 0x20026u : 0x20023u));
    for (;;) {
    }
}

static void fw_fault(void) { fw_exit(0); /* QEMU exits with status 1 */ }

unsigned long fw_stack_used(void) {
    const uint32_t *p = _sstack;
    while (p < _estack && *p == FW_PAINT) p++;
    return (unsigned long)((const unsigned char *)_estack - (const unsigned char *)p);
}

void fw_reset(void) {
    uint32_t *p, *sp;
    /* no .data to copy: mps2.ld asserts that there is none */
    for (p = _sbss; p < _ebss;) *p++ = 0;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (p = _sstack; p < sp - 16; p++) *p = FW_PAINT; /* paint the stack below us */
    fw_exit(main() == 0);
}

/* The few libc functions the library and the decoders call (this file is
 * compiled without -flto: calls to memcpy and friends that the compiler
 * makes for struct copies appear after the link-time optimiser has run). */
void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}
void *memset(void *dst, int c, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (; n--; x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}
void *memchr(const void *s, int c, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (; n--; p++)
        if (*p == (unsigned char)c) return (void *)(uintptr_t)p;
    return NULL;
}
size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}
char *strchr(const char *s, int c) {
    for (;; s++) {
        if (*s == (char)c) return (char *)(uintptr_t)s;
        if (!*s) return NULL;
    }
}

/* zstd's allocating functions are never called here (static contexts only),
 * but its objects name malloc, calloc and free: these stubs satisfy the
 * linker and fail loudly if ever reached. */
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void free(void *p);
void *malloc(size_t n) {
    (void)n;
    fw_puts("fw: malloc called\n");
    fw_exit(0);
    return NULL;
}
void *calloc(size_t n, size_t m) {
    (void)n;
    (void)m;
    fw_puts("fw: calloc called\n");
    fw_exit(0);
    return NULL;
}
void free(void *p) {
    if (p != NULL) {
        fw_puts("fw: free called\n");
        fw_exit(0);
    }
}
