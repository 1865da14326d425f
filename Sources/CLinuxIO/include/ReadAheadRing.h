#ifndef XEN2KVM_READ_AHEAD_RING_H
#define XEN2KVM_READ_AHEAD_RING_H
#include <stddef.h>
#include <stdint.h>

/* Reads pieces of a file on a thread of its own into a ring of buffers, ahead of the caller,
   so the source is read while the caller writes (the copy loop would otherwise wait for each
   read, then for each write). A C thread, not a Swift one: the buffers are raw memory handed
   back and forth, which Swift's concurrency checking has no safe words for. */
typedef struct {
    uint64_t offset;
    size_t length; /* at most slot_bytes */
} xen2kvm_piece;

typedef struct xen2kvm_ring xen2kvm_ring;

/* Starts reading `pieces` (copied) from `fd` into `slots` buffers of `slot_bytes` each,
   aligned to `alignment`, with the next `advise_bytes` of pieces always asked for ahead
   (posix_fadvise WILLNEED: page cache, not our memory). NULL if memory or the thread could
   not be had. */
xen2kvm_ring *xen2kvm_ring_start(int fd, const xen2kvm_piece *pieces, size_t count, size_t slots,
                                 size_t slot_bytes, size_t alignment, size_t advise_bytes);
/* Waits for the next piece in order and points `buffer` at it. 0 when it was read; an errno
   when reading it failed; -1 when the source ended before it. */
int xen2kvm_ring_next(xen2kvm_ring *ring, void **buffer);
/* The piece from next() is written: its buffer may be filled again. */
void xen2kvm_ring_release(xen2kvm_ring *ring);
/* Stops the thread (also mid-way, after an error or a signal), waits for it and frees all. */
void xen2kvm_ring_stop(xen2kvm_ring *ring);
#endif
