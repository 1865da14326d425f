#!/usr/bin/env bash
# Rebuilds every initrd/initramfs in the fixture guest trees from the text
# listings in Fixtures/initrd-lists/. The outputs are committed (each is well
# under 4 KiB), so tests never need cpio; run this after editing a listing.
#
# Each output is a real newc cpio archive (what the kernel unpacks), filled
# with one-line stand-in files at the paths the real image would have, then
# compressed the way the distribution does it. Debian 12 gets two segments,
# like its real initrds: an uncompressed early-microcode archive followed by
# the zstd-compressed main archive.
#
# Listing format, one entry a line ('#' starts a comment line):
#   f PATH          a stand-in file (PATH ending in .xz: the stand-in text xz-compressed)
#   x PATH          an executable stand-in script
#   l PATH TARGET   a symlink
#   d PATH          an empty directory
# Parent directories are added implicitly, as real images contain them.
#
# Output is reproducible: fixed timestamps, owner 0:0, sorted names,
# `cpio --reproducible`, `gzip -n`. Needs bash, cpio (GNU), gzip, zstd, xz.
set -euo pipefail
umask 022
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
lists="$here/initrd-lists"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A fixed time for every entry, so rebuilding gives the same bytes.
stamp="2020-01-01 00:00:00 UTC"

# cpio_from_list LIST OUT: write an uncompressed newc archive of LIST to OUT.
cpio_from_list() {
    local list=$1 out=$2 root kind path target
    root="$work/$(basename "$list" .list)"
    rm -rf "$root"
    mkdir -p "$root"
    while read -r kind path target; do
        case "$kind" in
        '' | '#'*) continue ;;
        esac
        mkdir -p "$root/$(dirname "$path")"
        case "$kind" in
        f)
            if [[ $path == *.xz ]]; then
                printf 'xen2kvm fixture: stand-in for %s\n' "${path%.xz}" | xz -9 -c >"$root/$path"
            else
                printf 'xen2kvm fixture: stand-in for %s\n' "$path" >"$root/$path"
            fi
            ;;
        x) printf '#!/bin/sh\n# xen2kvm fixture: stand-in for /%s\n' "$path" >"$root/$path"
            chmod 755 "$root/$path" ;;
        l) ln -s "$target" "$root/$path" ;;
        d) mkdir -p "$root/$path" ;;
        *) echo "$list: unknown entry kind '$kind'" >&2; exit 1 ;;
        esac
    done <"$list"
    find "$root" -exec touch -h -d "$stamp" {} +
    (cd "$root" && find . -mindepth 1 | sed 's|^\./||' | sort |
        cpio --quiet -o -H newc --reproducible -R 0:0) >"$out"
}

# build OUTPUT COMPRESSION LIST: one archive, compressed (gzip or zstd).
build() {
    local out="$here/$1" compression=$2 list="$lists/$3"
    cpio_from_list "$list" "$work/archive.cpio"
    case "$compression" in
    gzip) gzip -9n -c "$work/archive.cpio" >"$out" ;;
    zstd) zstd -19 -q -c "$work/archive.cpio" >"$out" ;;
    *) echo "unknown compression $compression" >&2; exit 1 ;;
    esac
    chmod 644 "$out"
    echo "$1: $(wc -c <"$out") bytes"
}

# build_with_early OUTPUT EARLY_LIST MAIN_LIST: plain early archive, then zstd main archive.
build_with_early() {
    local out="$here/$1"
    cpio_from_list "$lists/$2" "$work/early.cpio"
    cpio_from_list "$lists/$3" "$work/main.cpio"
    { cat "$work/early.cpio"; zstd -19 -q -c "$work/main.cpio"; } >"$out"
    chmod 644 "$out"
    echo "$1: $(wc -c <"$out") bytes"
}

# CentOS 5: mkinitrd images, gzip.
build centos5/boot/initrd-2.6.18-419.el5xen.img gzip centos5-el5xen.list
build centos5/boot/initrd-2.6.18-419.el5.img gzip centos5-el5.list
# CentOS 6: dracut, gzip.
build centos6/boot/initramfs-2.6.32-754.35.1.el6.x86_64.img gzip centos6.list
# CentOS 7: dracut, gzip; the rescue image is generic (hostonly=no).
build centos7/boot/initramfs-3.10.0-1160.el7.x86_64.img gzip centos7.list
build centos7/boot/initramfs-0-rescue-4f8c2a9d1b6e47c3a05d9e2f7b18c6a4.img gzip centos7-rescue.list
# Debian 12: early microcode (plain cpio) + main archive (zstd).
build_with_early debian12-grub2/boot/initrd.img-6.1.0-26-amd64 debian12-early.list debian12-main.list
# Debian 7: initramfs-tools, gzip.
build debian-pygrub-legacy/boot/initrd.img-3.2.0-6-amd64 gzip debian7.list
# Rocky 9, Fedora 33: dracut host-only, gzip.
build rocky9/boot/initramfs-5.14.0-362.8.1.el9_3.x86_64.img gzip rocky9.list
build fedora/boot/initramfs-5.8.15-301.fc33.x86_64.img gzip fedora-5.8.list
build fedora/boot/initramfs-5.14.18-100.fc33.x86_64.img gzip fedora-5.14.list
# openSUSE Leap 15.5: dracut, SUSE's names (no .img); SLES 11: mkinitrd, gzip.
build opensuse/boot/initrd-5.14.21-150500.55.39-default gzip opensuse.list
build sles11/boot/initrd-3.0.101-63-xen gzip sles11-xen.list
build sles11/boot/initrd-3.0.101-63-default gzip sles11-default.list
# Arch: mkinitcpio, zstd (its default).
build arch/boot/initramfs-linux.img zstd arch.list
# Ubuntu 16.04: initramfs-tools, gzip.
build ubuntu-pvgrub/boot/initrd.img-4.4.0-210-generic gzip ubuntu16.list
