/* The system calls no conversion step needs, denied with EPERM inside the sandbox. Included
 * by each architecture's table (seccomp_native.c, seccomp_i386.c), so the list is written once
 * and each table gets its own numbers from its own <asm/unistd*.h>. A name an architecture
 * lacks is skipped. */
#ifdef __NR_init_module
__NR_init_module,
#endif
#ifdef __NR_finit_module
__NR_finit_module,
#endif
#ifdef __NR_delete_module
__NR_delete_module,
#endif
#ifdef __NR_kexec_load
__NR_kexec_load,
#endif
#ifdef __NR_kexec_file_load
__NR_kexec_file_load,
#endif
#ifdef __NR_bpf
__NR_bpf,
#endif
#ifdef __NR_perf_event_open
__NR_perf_event_open,
#endif
#ifdef __NR_keyctl
__NR_keyctl,
#endif
#ifdef __NR_add_key
__NR_add_key,
#endif
#ifdef __NR_request_key
__NR_request_key,
#endif
#ifdef __NR_ptrace
__NR_ptrace,
#endif
#ifdef __NR_process_vm_readv
__NR_process_vm_readv,
#endif
#ifdef __NR_process_vm_writev
__NR_process_vm_writev,
#endif
#ifdef __NR_reboot
__NR_reboot,
#endif
#ifdef __NR_swapon
__NR_swapon,
#endif
#ifdef __NR_swapoff
__NR_swapoff,
#endif
#ifdef __NR_open_by_handle_at
__NR_open_by_handle_at,
#endif
#ifdef __NR_name_to_handle_at
__NR_name_to_handle_at,
#endif
#ifdef __NR_userfaultfd
__NR_userfaultfd,
#endif
/* Every way to mount, or to change what is mounted: the sandbox's tree is made before the
 * program starts, and a guest program never needs another. */
#ifdef __NR_mount
__NR_mount,
#endif
#ifdef __NR_umount
__NR_umount,
#endif
#ifdef __NR_umount2
__NR_umount2,
#endif
#ifdef __NR_pivot_root
__NR_pivot_root,
#endif
#ifdef __NR_fsopen
__NR_fsopen,
#endif
#ifdef __NR_fsconfig
__NR_fsconfig,
#endif
#ifdef __NR_fsmount
__NR_fsmount,
#endif
#ifdef __NR_fspick
__NR_fspick,
#endif
#ifdef __NR_move_mount
__NR_move_mount,
#endif
#ifdef __NR_open_tree
__NR_open_tree,
#endif
#ifdef __NR_mount_setattr
__NR_mount_setattr,
#endif
#ifdef __NR_setns
__NR_setns,
#endif
#ifdef __NR_acct
__NR_acct,
#endif
#ifdef __NR_syslog
__NR_syslog,
#endif
#ifdef __NR_iopl
__NR_iopl,
#endif
#ifdef __NR_ioperm
__NR_ioperm,
#endif
#ifdef __NR_vhangup
__NR_vhangup,
#endif
#ifdef __NR_quotactl
__NR_quotactl,
#endif
#ifdef __NR_lookup_dcookie
__NR_lookup_dcookie,
#endif
/* io_uring reaches most of the above without a system call of its own. */
#ifdef __NR_io_uring_setup
__NR_io_uring_setup,
#endif
#ifdef __NR_io_uring_enter
__NR_io_uring_enter,
#endif
#ifdef __NR_io_uring_register
__NR_io_uring_register,
#endif
