#!/usr/bin/env bash
# Gateway SD-card image for Raspberry Pi 3 / 4 / Zero 2 W / CM4 from Debian 13 (trixie) arm64
# packages only. Step by step in image/README.md.
#
#   image/build.sh --bundle opengkh-X.Y.Z-linux-arm64.gkhb --trusted-key operator.pub \
#                  [--config gateway.json] [--out opengkh.img] [--size-mib 3700] [--read-only-root]
#   image/build.sh --dry-run [--bundle B --trusted-key K] [--check-archive]
#
# The full build runs mmdebstrap (needs root, and qemu-user-static + binfmt on a non-arm64 host),
# then assembles the image without loop mounts: mkfs.vfat + mtools for the firmware partition,
# mkfs.ext4 -d for root and data, sfdisk for the MBR, dd into place.
# --dry-run checks the recipe's pieces in seconds (CI): the package list, the unit file
# (systemd-analyze verify + security exposure), and the same partition code on a small sparse file.
# --check-archive (network, ~15 s) also resolves the package list against the trixie arm64 archive
# with `mmdebstrap --simulate` (no emulation needed).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")

# ---- layout (MiB). Pi firmware reads the first FAT partition of an MBR disk. ----
BOOT_START=4          # leave room before the first partition (1 MiB alignment is enough; 4 is customary)
BOOT_MIB=256          # /boot/firmware: firmware blobs, kernel, initrd, dtbs (two kernels fit)
ROOT_MIB=2048         # /: Debian minbase + kernel modules + nodejs (~900 MB used)
SIZE_MIB=3700         # whole image; fits a "4 GB" card; /data takes the rest (growpart it on bigger cards)
LABEL_BOOT=RASPIFIRM
LABEL_ROOT=RASPIROOT
LABEL_DATA=GKHDATA
OPENGKH_UID=900       # fixed so the data partition can be built outside the chroot
SUITE=trixie
MIRROR=""             # empty: mmdebstrap's default Debian mirror
HOSTNAME_=opengkh

MODE=build
OUT=opengkh.img
BUNDLE=""
TRUSTED_KEY=""
CONFIG=""
READ_ONLY_ROOT=0
CHECK_ARCHIVE=0
WORK=""

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
die() { echo "build.sh: $*" >&2; exit 1; }
step() { echo "==> $*"; }
ok() { echo "  ok: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) MODE=dry-run ;;
    --check-archive) CHECK_ARCHIVE=1 ;;
    --out) OUT=$2; shift ;;
    --bundle) BUNDLE=$2; shift ;;
    --trusted-key) TRUSTED_KEY=$2; shift ;;
    --config) CONFIG=$2; shift ;;
    --size-mib) SIZE_MIB=$2; shift ;;
    --read-only-root) READ_ONLY_ROOT=1 ;;
    --mirror) MIRROR=$2; shift ;;
    --work) WORK=$2; shift ;;
    -h|--help) usage ;;
    *) echo "build.sh: unknown option $1" >&2; usage ;;
  esac
  shift
done

# ---------------------------------------------------------------- pieces (shared by both modes)

# Packages from packages.txt (comments and blanks dropped), plus overlayroot for a read-only root.
packages() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$HERE/packages.txt" | grep -v '^$'
  if [ "$READ_ONLY_ROOT" = 1 ]; then echo overlayroot; fi
}

check_packages() {
  step "package list ($HERE/packages.txt)"
  local bad dup p
  bad=$(packages | grep -Ev '^[a-z0-9][a-z0-9.+-]+$' || true)
  [ -z "$bad" ] || die "not Debian package names: $bad"
  dup=$(packages | sort | uniq -d)
  [ -z "$dup" ] || die "listed twice: $dup"
  for p in raspi-firmware linux-image-arm64 nodejs systemd systemd-sysv openssh-server ca-certificates; do
    packages | grep -qx "$p" || die "packages.txt lacks required package $p"
  done
  ok "$(packages | wc -l) packages, names valid, required ones present"
  if [ "$CHECK_ARCHIVE" = 1 ]; then
    command -v mmdebstrap >/dev/null || die "--check-archive needs mmdebstrap (and arch-test)"
    local out node
    out=$(READ_ONLY_ROOT=1 mmdebstrap --simulate --skip=check/qemu --variant=minbase --architectures=arm64 \
      --components="main non-free-firmware" --include="$( (packages; echo overlayroot) | sort -u | paste -sd,)" -v \
      "$SUITE" /dev/null ${MIRROR:+"$MIRROR"} 2>&1) || die "packages do not resolve in $SUITE arm64: $(echo "$out" | grep '^E:' | head -3)"
    node=$(echo "$out" | sed -n 's/^Inst nodejs (\([^ ]*\).*/\1/p' | head -1)
    ok "all packages (and overlayroot) resolve in $SUITE arm64 main+non-free-firmware; nodejs $node"
  fi
}

check_unit() {
  step "systemd unit ($HERE/opengkh.service)"
  local unit="$HERE/opengkh.service" k out score
  for k in 'Type=notify' 'WatchdogSec=' 'Restart=on-failure' 'User=opengkh' 'SupplementaryGroups=dialout' 'ProtectSystem=strict' 'ReadWritePaths=/data/opengkh/data' 'MemoryMax=' 'DevicePolicy=closed' 'DeviceAllow=char-ttyUSB rw'; do
    grep -q "^$k" "$unit" || die "opengkh.service lacks $k"
  done
  ok "required settings present"
  # verify wants the unit's executable; the image has /usr/bin/node, a CI host may not.
  out=$(systemd-analyze verify "$unit" 2>&1) || die "systemd-analyze verify failed: $out"
  if [ -n "$(echo "$out" | grep -v 'Command /usr/bin/node is not executable' | grep -v '^$' || true)" ]; then die "systemd-analyze verify: $out"; fi
  ok "systemd-analyze verify"
  if out=$(systemd-analyze security --offline=yes "$unit" 2>&1); then :; else
    if echo "$out" | grep -q -- "--offline"; then echo "  skip: systemd-analyze security --offline needs systemd >= 250"; return; fi
  fi
  score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  [ -n "$score" ] || die "no exposure score in: $out"
  awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }' || die "exposure $score > 4.0"
  ok "systemd-analyze security exposure $score (limit 4.0)"
}

# fstab of the image.
fstab() {
  cat <<EOF
# <file system>     <mount point>   <type> <options>                                   <dump> <pass>
LABEL=$LABEL_ROOT   /               ext4   rw,noatime,errors=remount-ro                0      1
LABEL=$LABEL_BOOT   /boot/firmware  vfat   rw,noatime,umask=0077,shortname=winnt       0      2
LABEL=$LABEL_DATA   /data           ext4   rw,noatime,commit=5,errors=remount-ro       0      2
EOF
}

# sfdisk script: MBR; firmware FAT32 (LBA, type c), root and data Linux (83).
partition_table() {
  local size=$1 bstart=$2 bmib=$3 rmib=$4
  local rstart=$((bstart + bmib)) dstart=$((bstart + bmib + rmib))
  [ "$dstart" -lt "$size" ] || die "layout does not fit: data would start at $dstart MiB of $size"
  cat <<EOF
label: dos
unit: sectors

start=$((bstart * 2048)), size=$((bmib * 2048)), type=c, bootable
start=$((rstart * 2048)), size=$((rmib * 2048)), type=83
start=$((dstart * 2048)), size=$(((size - dstart) * 2048)), type=83
EOF
}

# FAT32 file system image of SIZE MiB with the contents of DIR (mtools: no mount).
make_fat() {
  local img=$1 mib=$2 dir=$3 label=$4
  rm -f "$img"
  mkfs.vfat -F 32 -S 512 -s 1 -n "$label" -C "$img" $((mib * 1024)) >/dev/null
  if [ -n "$(ls -A "$dir")" ]; then MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -i "$img" "$dir"/* ::/; fi
}

# ext4 file system image of SIZE MiB populated from DIR (mkfs.ext4 -d: no mount).
make_ext4() {
  local img=$1 mib=$2 dir=$3 label=$4
  rm -f "$img"
  mkfs.ext4 -q -F -L "$label" -O ^metadata_csum_seed -E lazy_itable_init=0,lazy_journal_init=0 -d "$dir" "$img" "${mib}M" >/dev/null
}

# Writes the partition table and the three file system images into IMG (sparse, no loop device).
assemble() {
  local img=$1 size=$2 bstart=$3 bmib=$4 rmib=$5 boot=$6 root=$7 data=$8
  rm -f "$img"
  truncate -s "${size}M" "$img"
  partition_table "$size" "$bstart" "$bmib" "$rmib" | sfdisk --quiet --no-reread --no-tell-kernel "$img"
  dd if="$boot" of="$img" bs=1M seek="$bstart" conv=notrunc,sparse status=none
  dd if="$root" of="$img" bs=1M seek=$((bstart + bmib)) conv=notrunc,sparse status=none
  dd if="$data" of="$img" bs=1M seek=$((bstart + bmib + rmib)) conv=notrunc,sparse status=none
}

# Verifies the bundle's signature and every file (the updater's own code), then unpacks its payload
# as the first release under DATA/opengkh/app. Needs dist/ built (npx tsc -p .).
install_release() {
  local data=$1 bundle=$2 key=$3 version app
  [ -f "$REPO/dist/edge/update/index.js" ] || die "dist/ not built: run npx tsc -p . first"
  version=$(GKH_UPDATE="$REPO/dist/edge/update/index.js" node --input-type=module -e '
    const [bundle, key] = process.argv.slice(1);
    const u = await import(process.env.GKH_UPDATE);
    const { readFileSync } = await import("node:fs");
    try {
      const b = u.openBundle(bundle);
      const m = await u.verifyBundle(b, [u.parsePublicKey(readFileSync(key, "utf8"), key)], { os: "linux", cpu: process.env.GKH_CPU });
      process.stdout.write(m.version);
    } catch (e) {
      process.stderr.write(`${e.code ?? "error"}: ${e.message}`);
      process.exit(1);
    }
  ' "$bundle" "$key" 2>"$data/.verify.err") || die "bundle refused: $(cat "$data/.verify.err")"
  rm -f "$data/.verify.err"
  app="$data/opengkh/app"
  mkdir -p "$app/releases/$version"
  tar -xOf "$bundle" payload.tar.gz | tar -xz --no-same-owner -C "$app/releases/$version"
  ln -sfn "releases/$version" "$app/current"
  ln -sfn "releases/$version" "$app/last-good"
  printf '{\n "phase": "idle",\n "history": [\n  "%s"\n ]\n}\n' "$version" >"$app/update-state.json"
  ok "release $version verified and unpacked to /data/opengkh/app/releases/$version"
}

# The data partition tree: app (root-owned, read-only for the service) and data (owned by opengkh).
data_tree() {
  local data=$1
  mkdir -p "$data/opengkh/app/releases" "$data/opengkh/data"
  chmod 0755 "$data/opengkh" "$data/opengkh/app" "$data/opengkh/app/releases"
  chmod 0700 "$data/opengkh/data"
  if [ "$(id -u)" = 0 ]; then chown "$OPENGKH_UID:$OPENGKH_UID" "$data/opengkh/data"; fi
}

# Files the image adds to the root file system (also used by the dry-run on a stub tree).
root_files() {
  local root=$1
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants" "$root/etc/opengkh/update-keys" "$root/data" "$root/boot/firmware"
  fstab >"$root/etc/fstab"
  install -m 0644 "$HERE/opengkh.service" "$root/etc/systemd/system/opengkh.service"
  ln -sfn ../opengkh.service "$root/etc/systemd/system/multi-user.target.wants/opengkh.service"
  if [ -n "$TRUSTED_KEY" ]; then install -m 0644 "$TRUSTED_KEY" "$root/etc/opengkh/update-keys/operator.pub"; fi
  if [ -n "$CONFIG" ]; then install -m 0644 "$CONFIG" "$root/etc/opengkh/gateway.json"; fi
  echo "$HOSTNAME_" >"$root/etc/hostname"
  # Kernel command line for raspi-firmware's hook (it writes cmdline.txt from these).
  mkdir -p "$root/etc/default"
  printf 'ROOTPART=LABEL=%s\nCONSOLES="ttyS1,115200 tty0"\n' "$LABEL_ROOT" >"$root/etc/default/raspi-firmware"
  if [ "$READ_ONLY_ROOT" = 1 ]; then
    # overlayroot (initramfs): / becomes a tmpfs overlay over the read-only root; recurse=0 keeps
    # /data and /boot/firmware real. Change the root with `overlayroot-chroot`.
    printf 'overlayroot="tmpfs:recurse=0"\n' >"$root/etc/overlayroot.local.conf"
  fi
}

# ---------------------------------------------------------------- dry run (CI)

dry_run() {
  local need=(sfdisk parted mkfs.vfat mcopy mdir mkfs.ext4 debugfs e2fsck systemd-analyze truncate dd)
  local t missing=()
  for t in "${need[@]}"; do command -v "$t" >/dev/null || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (apt-get install fdisk parted dosfstools mtools e2fsprogs systemd)"

  check_packages
  check_unit

  DRY_WORK=$(mktemp -d "${TMPDIR:-/tmp}/gkh-image-dry-XXXXXX")
  trap 'rm -rf "$DRY_WORK"' EXIT
  local w=$DRY_WORK
  # The real layout scaled down; the same functions build it. Data grows to fit a real bundle.
  local bstart=1 bmib=40 rmib=24 dmib=31 size
  mkdir -p "$w/boot" "$w/root" "$w/data"
  printf 'arm_64bit=1\nenable_uart=1\n' >"$w/boot/config.txt"
  printf 'console=tty0 root=LABEL=%s rw fsck.repair=yes rootwait\n' "$LABEL_ROOT" >"$w/boot/cmdline.txt"
  mkdir -p "$w/boot/overlays" && echo dtoverlay >"$w/boot/overlays/README"
  root_files "$w/root"
  data_tree "$w/data"
  if [ -n "$BUNDLE" ]; then
    [ -n "$TRUSTED_KEY" ] || die "--bundle needs --trusted-key"
    install_release "$w/data" "$BUNDLE" "$TRUSTED_KEY"
    local used; used=$(du -sm "$w/data" | cut -f1)
    if [ $((used * 3 / 2 + 16)) -gt "$dmib" ]; then dmib=$((used * 3 / 2 + 16)); fi
  else
    echo "  (no --bundle: the release install step is not exercised)"
  fi
  size=$((bstart + bmib + rmib + dmib))
  step "partition layout on a ${size} MiB sparse file (boot ${bmib} MiB FAT32 at ${bstart} MiB, root ${rmib} MiB, data ${dmib} MiB)"
  make_fat "$w/boot.img" "$bmib" "$w/boot" "$LABEL_BOOT"
  make_ext4 "$w/root.img" "$rmib" "$w/root" "$LABEL_ROOT"
  make_ext4 "$w/data.img" "$dmib" "$w/data" "$LABEL_DATA"
  assemble "$w/disk.img" "$size" "$bstart" "$bmib" "$rmib" "$w/boot.img" "$w/root.img" "$w/data.img"

  # Partition table as sfdisk and parted read it back.
  local json; json=$(sfdisk --json "$w/disk.img")
  node -e '
    const [json, bs, bm, rm, size] = process.argv.slice(1);
    const t = JSON.parse(json).partitiontable;
    const MiB = 2048, want = [[+bs, +bm, "c"], [+bs + +bm, +rm, "83"], [+bs + +bm + +rm, +size - +bs - +bm - +rm, "83"]];
    if (t.label !== "dos") throw new Error(`label ${t.label}, expected dos`);
    if (t.partitions.length !== 3) throw new Error(`${t.partitions.length} partitions, expected 3`);
    t.partitions.forEach((p, i) => {
      const [s, n, type] = want[i];
      if (p.start !== s * MiB || p.size !== n * MiB || p.type !== type) throw new Error(`partition ${i + 1}: start ${p.start} size ${p.size} type ${p.type}, expected ${s * MiB} ${n * MiB} ${type}`);
      if (p.start % MiB !== 0) throw new Error(`partition ${i + 1} not 1 MiB aligned`);
    });
  ' "$json" "$bstart" "$bmib" "$rmib" "$size" || die "partition table differs from the layout"
  ok "sfdisk: dos label, 3 partitions at the planned sectors, 1 MiB aligned, types c/83/83"
  local pt; pt=$(parted -s -m "$w/disk.img" unit s print)
  echo "$pt" | grep -q "^1:$((bstart * 2048))s:$(((bstart + bmib) * 2048 - 1))s:$((bmib * 2048))s:fat32::boot, lba;" || die "parted does not see a FAT32 boot partition 1: $pt"
  echo "$pt" | grep -q "^2:.*:ext4::;" && echo "$pt" | grep -q "^3:.*:ext4::;" || die "parted does not see ext4 on partitions 2 and 3: $pt"
  ok "parted: partition 1 fat32 (boot, lba), partitions 2 and 3 ext4"

  # File systems read back from the assembled disk (mtools at an offset; ext4 via dd + debugfs).
  MTOOLS_SKIP_CHECK=1 mdir -i "$w/disk.img@@$((bstart * 1048576))" ::/ | grep -qi 'config.*txt' || die "config.txt not on the firmware partition"
  MTOOLS_SKIP_CHECK=1 mtype -i "$w/disk.img@@$((bstart * 1048576))" ::/cmdline.txt | grep -q "root=LABEL=$LABEL_ROOT" || die "cmdline.txt wrong"
  ok "firmware partition: config.txt, cmdline.txt (root=LABEL=$LABEL_ROOT) readable with mtools"
  dd if="$w/disk.img" of="$w/p2.img" bs=1M skip=$((bstart + bmib)) count="$rmib" status=none
  dd if="$w/disk.img" of="$w/p3.img" bs=1M skip=$((bstart + bmib + rmib)) status=none
  e2fsck -fn "$w/p2.img" >/dev/null 2>&1 || die "root file system does not pass e2fsck -fn"
  e2fsck -fn "$w/p3.img" >/dev/null 2>&1 || die "data file system does not pass e2fsck -fn"
  [ "$(e2label "$w/p2.img")" = "$LABEL_ROOT" ] && [ "$(e2label "$w/p3.img")" = "$LABEL_DATA" ] || die "ext4 labels wrong"
  debugfs -R 'cat /etc/systemd/system/opengkh.service' "$w/p2.img" 2>/dev/null | cmp -s - "$HERE/opengkh.service" || die "unit file not in the root file system"
  debugfs -R 'stat /etc/systemd/system/multi-user.target.wants/opengkh.service' "$w/p2.img" 2>/dev/null | grep -q 'Fast link dest: "../opengkh.service"' || die "unit not enabled"
  debugfs -R 'cat /etc/fstab' "$w/p2.img" 2>/dev/null | grep -q "LABEL=$LABEL_DATA *\/data" || die "fstab lacks /data"
  ok "root: e2fsck clean, label $LABEL_ROOT, unit installed and enabled, fstab mounts /data"
  if [ "$(id -u)" = 0 ]; then
    debugfs -R 'stat /opengkh/data' "$w/p3.img" 2>/dev/null | grep -q "User: *$OPENGKH_UID *Group: *$OPENGKH_UID" || die "data dir not owned by uid $OPENGKH_UID"
  fi
  if [ -n "$BUNDLE" ]; then
    debugfs -R 'stat /opengkh/app/current' "$w/p3.img" 2>/dev/null | grep -q 'Fast link dest: "releases/' || die "current link missing on data"
    debugfs -R 'cat /opengkh/app/current/package.json' "$w/p3.img" >/dev/null 2>&1 || die "release not on data"
  fi
  ok "data: e2fsck clean, label $LABEL_DATA, opengkh/data owned by uid $OPENGKH_UID${BUNDLE:+, current -> releases/<version>}"
  echo "dry-run passed / проверка рецепта пройдена"
}

# ---------------------------------------------------------------- full build

full_build() {
  [ "$(id -u)" = 0 ] || die "the full build runs as root (mmdebstrap --mode=root, file ownership)"
  [ -n "$BUNDLE" ] && [ -n "$TRUSTED_KEY" ] || die "--bundle and --trusted-key are required"
  command -v mmdebstrap >/dev/null || die "apt-get install mmdebstrap"
  if [ "$(dpkg --print-architecture)" != arm64 ]; then
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "arm64 emulation missing: apt-get install qemu-user-static binfmt-support"
  fi
  check_packages
  check_unit
  local w=${WORK:-$(mktemp -d "${TMPDIR:-/var/tmp}/gkh-image-XXXXXX")}
  mkdir -p "$w"
  step "mmdebstrap $SUITE arm64 minbase → $w/rootfs (long under emulation: 20-60 min)"
  rm -rf "$w/rootfs"
  # shellcheck disable=SC2046
  mmdebstrap --mode=root --variant=minbase --architectures=arm64 --components="main non-free-firmware" \
    --include="$(packages | paste -sd,)" \
    --setup-hook='mkdir -p "$1/boot/firmware"' \
    --essential-hook="mkdir -p \"\$1/etc/default\" && printf 'ROOTPART=LABEL=$LABEL_ROOT\nCONSOLES=\"ttyS1,115200 tty0\"\n' > \"\$1/etc/default/raspi-firmware\"" \
    --customize-hook="chroot \"\$1\" groupadd --system --gid $OPENGKH_UID opengkh" \
    --customize-hook="chroot \"\$1\" useradd --system --uid $OPENGKH_UID --gid opengkh --groups dialout --home-dir /data/opengkh/data --no-create-home --shell /usr/sbin/nologin opengkh" \
    --customize-hook='chroot "$1" systemctl enable systemd-timesyncd ssh' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*_key* && printf "[Unit]\nDescription=Generate SSH host keys (per device)\nBefore=ssh.service\nConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key\n[Service]\nType=oneshot\nExecStart=/usr/bin/ssh-keygen -A\n[Install]\nWantedBy=multi-user.target\n" > "$1/etc/systemd/system/ssh-host-keys.service" && chroot "$1" systemctl enable ssh-host-keys.service' \
    --customize-hook='printf "auto lo\niface lo inet loopback\nallow-hotplug eth0\niface eth0 inet dhcp\n" > "$1/etc/network/interfaces.d/eth0"' \
    "$SUITE" "$w/rootfs" ${MIRROR:+"$MIRROR"}
  step "image files"
  root_files "$w/rootfs"
  # raspi-firmware's hook ran during installation; rerun it now that ROOTPART/CONSOLES are final.
  chroot "$w/rootfs" /etc/kernel/postinst.d/z50-raspi-firmware "$(ls "$w/rootfs/lib/modules" | sort -V | tail -1)" || true
  if [ "$READ_ONLY_ROOT" = 1 ]; then chroot "$w/rootfs" update-initramfs -u; fi
  rm -rf "$w/boot" "$w/data" && mkdir -p "$w/boot" "$w/data"
  cp -a "$w/rootfs/boot/firmware/." "$w/boot/" && rm -rf "$w/rootfs/boot/firmware/"* && mkdir -p "$w/rootfs/boot/firmware"
  data_tree "$w/data"
  install_release "$w/data" "$BUNDLE" "$TRUSTED_KEY"
  step "file systems and disk image $OUT (${SIZE_MIB} MiB)"
  make_fat "$w/boot.img" "$BOOT_MIB" "$w/boot" "$LABEL_BOOT"
  make_ext4 "$w/root.img" "$ROOT_MIB" "$w/rootfs" "$LABEL_ROOT"
  make_ext4 "$w/data.img" $((SIZE_MIB - BOOT_START - BOOT_MIB - ROOT_MIB)) "$w/data" "$LABEL_DATA"
  assemble "$OUT" "$SIZE_MIB" "$BOOT_START" "$BOOT_MIB" "$ROOT_MIB" "$w/boot.img" "$w/root.img" "$w/data.img"
  sfdisk --list "$OUT"
  echo "image: $OUT — write with: dd if=$OUT of=/dev/sdX bs=4M conv=fsync status=progress"
}

export GKH_CPU=${GKH_CPU:-arm64}
if [ "$MODE" = dry-run ]; then dry_run; else full_build; fi
