# web01 as the xm config it was before xl (Python syntax, read, never run)
name = 'web01'
uuid = '3B8A2F4E-5C61-4D2A-9F0E-1A2B3C4D5E6F'
memory = 1024
maxmem = 2048
vcpus = 2
maxvcpus = 4
bootloader = 'pygrub'
extra = """console=hvc0"""
on_crash = 'restart'
disk = [ 'phy:/dev/vg0/web01-root,xvda1,w',
         'phy:/dev/vg0/web01-swap,xvda2,w',
         'phy:/dev/vg0/web01-data,xvdb,w' ]
vif = [ 'mac=00:16:3e:5a:01:02, bridge=xenbr0' ]
