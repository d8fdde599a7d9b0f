#!/usr/bin/env bash
# Installing a newer .deb over an older one keeps the admin's config and watch list and the
# database with every event; remove keeps them too; only purge deletes them. Run in a private
# root (dpkg --root, maintainer scripts chrootless: they act on $DPKG_ROOT), never on the host's.
# The older package is this build's under a lower version: what is checked is the upgrade path
# of the package (its files, its maintainer scripts, the state they must leave alone). A database
# made by the previous release's binary is tests/data/store/v2-demo.db, which unit.store upgrades.
# Exits 77 (ctest: skipped) without cpack/dpkg-deb/dpkg-shlibdeps.
#   check_deb_upgrade.sh BUILD_DIR
set -euo pipefail
build=$1
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not found (Debian packages: cmake, dpkg-dev)"; exit 77; }
done
work=$(mktemp -d)
sim_pid=
trap '[ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; [ ! -f "$work/run.log" ] || tail -20 "$work/run.log"; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/cpack" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail cpack; }
new=$(ls "$work"/cpack/fjwatch_*_*.deb | head -1)
new_version=$(dpkg-deb -f "$new" Version)
dpkg-deb -R "$new" "$work/old-tree"
sed -i 's/^Version: .*/Version: 0.0.1/' "$work/old-tree/DEBIAN/control"
dpkg-deb -b "$work/old-tree" "$work/old.deb" >/dev/null

root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
in_root() {
  dpkg --root="$root" --log=/dev/null --force-script-chrootless --force-not-root --force-depends \
    "$@" >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg $*"; }
}
version_in_root() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' fjwatch 2>/dev/null; }
etc="$root/etc/fjwatch"
state="$root/var/lib/fjwatch"
fjwatch() { FJ_API_KEY=fjk_sim_key "$root/usr/bin/fjwatch" "$@" -c "$etc/fjwatch.yaml"; }

# 1. The older package: postinst writes the examples to /etc/fjwatch.
in_root -i "$work/old.deb"
[ "$(version_in_root)" = 0.0.1 ] || fail "the older package is not installed"
[ -f "$etc/fjwatch.yaml" ] && [ -f "$etc/watchlist.yaml" ] || fail "postinst wrote no config"

# 2. The admin's config, and events: three sessions of the simulated API turn done.
"$build/fjwatch-sim" --cert-dir "$work" --sessions 3 --done-after 1s \
  --watchlist-out "$etc/watchlist.yaml" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/sim.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/sim.out")
[ -n "$url" ] || { cat "$work/sim.err"; fail "fjwatch-sim did not start"; }
cat >"$etc/fjwatch.yaml" <<YAML
# The admin's own config: an upgrade must leave it as it is.
api: { base_url: "$url", ca_file: $work/ca.pem }
poll: { interval: 200ms }
watchlist: $etc/watchlist.yaml
state_dir: $state
control: ""
actions:
  - { name: journal, type: log, template: "{event_id}" }
YAML
"$root/usr/bin/fjwatch" version >/dev/null
FJ_API_KEY=fjk_sim_key "$root/usr/bin/fjwatch" run -c "$etc/fjwatch.yaml" 2>"$work/run.log" &
pid=$!
for _ in $(seq 200); do [ "$(grep -c ' action.log ' "$work/run.log" || true)" -ge 3 ] && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid" || fail "the older package's daemon did not stop cleanly"
[ "$(grep -c ' action.log ' "$work/run.log" || true)" -eq 3 ] || fail "3 events were not delivered"
fjwatch deliveries --json >"$work/deliveries.before"
fjwatch list --json >"$work/list.before"
sha256sum "$etc/fjwatch.yaml" "$etc/watchlist.yaml" >"$work/etc.sha"
grep -q '"state":"delivered"' "$work/deliveries.before" || fail "no delivered rows before the upgrade"

# 3. The newer package over it: config, watch list and database as they were, read by the new
#    binary.
in_root -i "$new"
[ "$(version_in_root)" = "$new_version" ] || fail "the upgrade did not install $new_version"
sha256sum -c --quiet "$work/etc.sha" || fail "the upgrade changed /etc/fjwatch"
fjwatch deliveries --json >"$work/deliveries.after"
fjwatch list --json >"$work/list.after"
cmp -s "$work/deliveries.before" "$work/deliveries.after" || fail "deliveries differ after the upgrade"
cmp -s "$work/list.before" "$work/list.after" || fail "sessions differ after the upgrade"
echo "upgrade 0.0.1 -> $new_version kept the config, the watch list and $(grep -o '"event_id"' "$work/deliveries.after" | wc -l) deliveries"

# 4. remove keeps the state; purge deletes what postinst made and the state, inside the root.
in_root -r fjwatch
[ -f "$etc/fjwatch.yaml" ] && [ -f "$state/fjwatch.db" ] || fail "remove deleted the config or the database"
in_root -P fjwatch
[ ! -e "$etc/fjwatch.yaml" ] && [ ! -e "$state" ] || fail "purge left the config or the database"
echo "remove kept them; purge deleted them"
