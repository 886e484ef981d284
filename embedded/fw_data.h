/* fw_data.h - the test data gen-data.py writes (in flash, .testdata). */
#ifndef ARTPACK_FW_DATA_H
#define ARTPACK_FW_DATA_H
#include <stdint.h>
extern const uint32_t fw_hash[];
extern const unsigned fw_count;
extern const unsigned char fw_bundle[];
extern const unsigned fw_bundle_size;
extern const unsigned char fw_dict[];
extern const unsigned fw_dict_size;
extern const unsigned char fw_stream[]; /* a compressed stream, or fw_stream_size 0 */
extern const unsigned fw_stream_size;
extern const unsigned char fw_records[];
extern const uint32_t fw_record_off[];
extern const uint32_t fw_record_len[];
#endif
