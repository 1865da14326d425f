#ifndef XEN2KVM_CLIBXML2_SHIM_H
#define XEN2KVM_CLIBXML2_SHIM_H
#include <libxml/parser.h>
#include <libxml/tree.h>
#endif
