# An xm config with real Python in it: never run, each line reported.
import os
name = "web%02d" % 7
memory = 512
if os.path.exists("/dev/vg/big"):
    memory = 4096
kernel = "/usr/lib/xen/boot/hvmloader" if False else None
bootloader = '/usr/bin/pygrub'
bootargs = '--entry=xvda1:/boot/vmlinuz-2.6.18,/boot/initrd-2.6.18.img'
disk = [ '/dev/vg/web07,xvda1,w', 'phy:/dev/vg/shared,xvdb,w!',
         'file:/srv/xen/web07-swap.img,xvda2,w' ]
vif = [ 'mac=00:16:3e:07:07:07, bridge=xenbr0', 'bridge=xenbr1' ]
on_crash = 'rename-restart'
