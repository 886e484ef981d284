/* fw.h - what the firmware tests share. */
#ifndef ARTPACK_FW_H
#define ARTPACK_FW_H
void fw_puts(const char *s);
void fw_putu(const char *label, unsigned long v);
void fw_exit(int ok);
unsigned long fw_stack_used(void);
#endif
