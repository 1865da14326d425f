/* What the image parser (xen2kvm reading a guest image in a child of its own) is denied on
 * top of denied_syscalls.h: starting programs, the network, processes of its own, and every
 * call that changes a file by its name. Files are opened for reading only (the open flags are
 * checked in Seccomp.c); what the child was given to write (its stdout) stays writable. */
#ifdef __NR_execve
__NR_execve,
#endif
#ifdef __NR_execveat
__NR_execveat,
#endif
#ifdef __NR_fork
__NR_fork,
#endif
#ifdef __NR_vfork
__NR_vfork,
#endif
#ifdef __NR_socket
__NR_socket,
#endif
#ifdef __NR_socketpair
__NR_socketpair,
#endif
#ifdef __NR_kill
__NR_kill,
#endif
#ifdef __NR_tkill
__NR_tkill,
#endif
#ifdef __NR_chroot
__NR_chroot,
#endif
#ifdef __NR_creat
__NR_creat,
#endif
#ifdef __NR_unlink
__NR_unlink,
#endif
#ifdef __NR_unlinkat
__NR_unlinkat,
#endif
#ifdef __NR_rename
__NR_rename,
#endif
#ifdef __NR_renameat
__NR_renameat,
#endif
#ifdef __NR_renameat2
__NR_renameat2,
#endif
#ifdef __NR_mkdir
__NR_mkdir,
#endif
#ifdef __NR_mkdirat
__NR_mkdirat,
#endif
#ifdef __NR_rmdir
__NR_rmdir,
#endif
#ifdef __NR_symlink
__NR_symlink,
#endif
#ifdef __NR_symlinkat
__NR_symlinkat,
#endif
#ifdef __NR_link
__NR_link,
#endif
#ifdef __NR_linkat
__NR_linkat,
#endif
#ifdef __NR_chmod
__NR_chmod,
#endif
#ifdef __NR_fchmod
__NR_fchmod,
#endif
#ifdef __NR_fchmodat
__NR_fchmodat,
#endif
#ifdef __NR_fchmodat2
__NR_fchmodat2,
#endif
#ifdef __NR_chown
__NR_chown,
#endif
#ifdef __NR_fchown
__NR_fchown,
#endif
#ifdef __NR_lchown
__NR_lchown,
#endif
#ifdef __NR_fchownat
__NR_fchownat,
#endif
#ifdef __NR_truncate
__NR_truncate,
#endif
#ifdef __NR_ftruncate
__NR_ftruncate,
#endif
#ifdef __NR_fallocate
__NR_fallocate,
#endif
#ifdef __NR_mknod
__NR_mknod,
#endif
#ifdef __NR_mknodat
__NR_mknodat,
#endif
#ifdef __NR_setxattr
__NR_setxattr,
#endif
#ifdef __NR_lsetxattr
__NR_lsetxattr,
#endif
#ifdef __NR_fsetxattr
__NR_fsetxattr,
#endif
#ifdef __NR_removexattr
__NR_removexattr,
#endif
#ifdef __NR_lremovexattr
__NR_lremovexattr,
#endif
#ifdef __NR_fremovexattr
__NR_fremovexattr,
#endif
#ifdef __NR_utimensat
__NR_utimensat,
#endif
#ifdef __NR_utimes
__NR_utimes,
#endif
#ifdef __NR_utime
__NR_utime,
#endif
#ifdef __NR_futimesat
__NR_futimesat,
#endif
