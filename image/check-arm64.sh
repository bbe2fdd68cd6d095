#!/usr/bin/env bash
# Runs an arm64 release bundle on Debian trixie's own arm64 Node without hardware or binfmt:
# `mmdebstrap --variant=extract` unpacks nodejs and its libraries (no maintainer scripts, so no
# emulation needed), and qemu-aarch64-static runs node from that tree (-L). Checks that the bundle's
# CLI starts, better-sqlite3 writes and reads a database, and serialport's addon loads.
#
#   image/check-arm64.sh release-out/opengkh-X.Y.Z-linux-arm64.gkhb
#
# Needs: mmdebstrap arch-test qemu-user-static (apt-get install), network to the Debian archive.
set -euo pipefail
bundle=$(realpath "$1")
for t in mmdebstrap qemu-aarch64-static tar; do command -v "$t" >/dev/null || { echo "check-arm64: apt-get install mmdebstrap arch-test qemu-user-static" >&2; exit 2; }; done
w=$(mktemp -d "${TMPDIR:-/tmp}/gkh-arm64-XXXXXX")
trap 'rm -rf "$w"' EXIT
mmdebstrap --quiet --mode=chrootless --variant=extract --skip=check/qemu --architectures=arm64 --include=nodejs,libc6 trixie "$w/sys"
# The extract variant skips base-files' merged-/usr links that the dynamic loader path needs.
[ -e "$w/sys/lib" ] || ln -s usr/lib "$w/sys/lib"
mkdir -p "$w/app"
tar -xOf "$bundle" payload.tar.gz | tar -xz -C "$w/app"
run() { qemu-aarch64-static -L "$w/sys" "$w/sys/usr/bin/node" "$@"; }
echo "node (arm64, Debian trixie): $(run --version)"
echo "opengkh --version: $(cd "$w/app" && run bin/opengkh.js --version)"
run -e '
  const app = process.argv[1];
  const D = require(app + "/node_modules/better-sqlite3");
  const db = new D(app + "/../check.db");
  db.exec("create table t(x)"); db.prepare("insert into t values (?)").run(42);
  const r = db.prepare("select sqlite_version() v, sum(x) s from t").get();
  if (r.s !== 42) throw new Error("sqlite readback " + r.s);
  console.log(`better-sqlite3: SQLite ${r.v}, write+read ok (${process.arch})`);
  require(app + "/node_modules/@serialport/bindings-cpp").autoDetect().list().then((l) => console.log(`serialport: addon loaded, ${l.length} port(s) listed`));
' "$w/app"
echo "arm64 check passed"
