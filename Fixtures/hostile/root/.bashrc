# xen2kvm hostile fixture: the guest's own /root/.bashrc. The test links
# /etc/inittab here through ../ climbs past the guest root.
id:3:initdefault:
co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav
