import CBlkid
