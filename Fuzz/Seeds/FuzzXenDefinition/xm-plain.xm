# A plain xm config: raw strings, a line join, a target with no prefix.
name = r'mail'
memory = \
    768
vcpus = 1
bootloader = "/usr/bin/pygrub"
bootargs = "--kernel=/boot/vmlinuz --ramdisk=/boot/initrd"
disk = ['/dev/vg/mail-root,xvda1,w', "tap:aio:/srv/xen/mail-swap.img,xvda2,w"]
vif = ['']
