#ifndef XEN2KVM_CBLKID_SHIM_H
#define XEN2KVM_CBLKID_SHIM_H
#include <blkid/blkid.h>
#endif
