#ifndef XEN2KVM_CDECOMPRESS_SHIM_H
#define XEN2KVM_CDECOMPRESS_SHIM_H
#include <zlib.h>
#include <lzma.h>
#include <zstd.h>

/* zlib's inflateInit2 is a macro; Swift needs a function. */
static inline int xen2kvm_inflate_init_auto(z_stream *s) { return inflateInit2(s, 15 + 32); }
#endif
