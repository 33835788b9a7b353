#!/bin/bash
# medusa-sync: make a cloud copy of the frontyard match the local one.
#   (1) list the remote, (2) upload the renditions the metastore references
#   and the remote lacks, in parallel, (3) upload a snapshot of the metastore,
#   (4) write the generation object (the switch) last, (5) re-cache the remote
#   servers, (6) delete what neither the new generation nor the last N use.
# Killed at any moment, the remote still serves one whole generation: nothing
# the live generation references is touched before the switch.
set -u -o pipefail
prog=medusa-sync

usage() {
	echo "usage: $prog [-afnq] [-C backyard] [-m metastore] [-s storage] -t s3://bucket/prefix" \
	    "[-W rule] [-r frontyard-url ...] [-k signing-key] [-j N] [--keep N]" >&2
	exit 2
}
warn() { echo "$prog: $*" >&2; }

# getopts knows no long options: --keep N becomes -K N
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--keep) [ $# -ge 2 ] || usage; args+=(-K "$2"); shift 2 ;;
	--keep=*) args+=(-K "${1#--keep=}"); shift ;;
	--help) usage ;;
	--) args+=("$@"); break ;;
	*) args+=("$1"); shift ;;
	esac
done
set -- "${args[@]+"${args[@]}"}"

dir= metastore= storage= target= key= jobs=8 keep=2 dry= force= quiet= all= where=
recache=()
while getopts C:m:s:t:r:k:j:K:W:afnqh opt; do
	case $opt in
	C) dir=$OPTARG ;;
	m) metastore=$OPTARG ;;
	s) storage=$OPTARG ;;
	t) target=$OPTARG ;;
	W) where=$OPTARG ;;
	r) recache+=("$OPTARG") ;;
	k) key=$OPTARG ;;
	j) jobs=$OPTARG ;;
	K) keep=$OPTARG ;;
	a) all=1 ;;
	f) force=-f ;;
	n) dry=-n ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[ -n "$target" ] || { warn "-t: the remote storage (s3://bucket/prefix) is required"; usage; }
case $jobs in *[!0-9]* | '' | 0) warn "-j $jobs: want a positive integer"; exit 2 ;; esac
case $keep in *[!0-9]* | '') warn "--keep $keep: want a number of generations"; exit 2 ;; esac
case $target in
s3://?*) ;;
*) warn "-t $target: the remote must be object storage (s3://bucket/prefix)"; exit 2 ;;
esac

# The local frontyard as medusa-publish resolves it: options, the config,
# then the embedded defaults beside the backyard.
# A rule (-W) is read by the backyard's tag set, so it needs the backyard.
if [ -z "$metastore" ] || [ -z "$storage" ] || [ -n "$where" ]; then
	if ! command -v medusa-publish >/dev/null 2>&1; then
		warn "-m and -s are needed (medusa-publish is not installed to find the defaults)"
		exit 2
	fi
	pargs=()
	[ -n "$dir" ] && pargs+=(-C "$dir")
	[ -n "$storage" ] && pargs+=(-s "$storage")
	[ -n "$metastore" ] && pargs+=(-m "$metastore")
	[ -n "$where" ] && pargs+=(-W "$where")
	settings=$(medusa-publish -E "${pargs[@]+"${pargs[@]}"}") || exit 2
	MEDUSA_STORAGE= MEDUSA_METASTORE= MEDUSA_ROOT=
	eval "$settings"
	storage=$MEDUSA_STORAGE metastore=$MEDUSA_METASTORE
fi
case $storage in
file://*) root=${storage#file://} ;;
file:*) root=${storage#file:} ;;
*://*) warn "-s $storage: the local storage must be a directory"; exit 2 ;;
*) root=$storage ;;
esac
if [ ! -d "$root" ]; then
	warn "$root: the local storage is not there"
	exit 2
fi
if [ ! -f "$metastore" ]; then
	warn "$metastore: the local metastore is not there"
	exit 2
fi

# One sync per metastore at a time.
lock=$metastore.sync.lock
exec 9>>"$lock" || { warn "$lock: cannot open the lock file"; exit 2; }
if ! flock -n 9; then
	warn "another medusa-sync is running on $metastore: waiting for it (lock $lock)"
	flock 9 || { warn "$lock: cannot lock"; exit 2; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/medusa-sync.XXXXXX") || exit 2
trap 'rm -rf -- "$work"' EXIT
trap 'exit 130' INT TERM
t0=$(date +%s%N)
progress() { [ -z "$quiet" ] && [ -t 2 ] && printf '\r%s: %s\033[K' "$prog" "$*" >&2; return 0; }
fail() { progress ""; [ -t 2 ] && [ -z "$quiet" ] && echo >&2; warn "$*"; exit 1; }
ms() { medusa-store -s "$target" "$@"; }

# A consistent copy first: the keys to upload come from it, so the snapshot
# that goes up never references a file that did not.
progress "snapshot of $metastore"
medusa-store -s "$target" ${where:+-C "$MEDUSA_ROOT" -W "$where"} snapshot \
    -m "$metastore" "$work/snap.sqlite" > "$work/snap.json" ||
	fail "cannot snapshot $metastore"

# What the remote serves now, for the messages below: a generation, none
# yet, or a generation object that is empty or damaged (then its
# generation is unknown, and the push rebuilds it from the snapshots).
ms generation > "$work/generation" 2> "$work/generation.err"
# (one jq for all five; fields apart by US, as any of them may be empty)
IFS=$'\037' read -r gen nexcluded rgen unreadable snapkey < <(jq -r -n --slurpfile s "$work/snap.json" '
	(input? // {}) as $g |
	[$s[0].generation, ($s[0].excluded // [] | length), ($g.generation // ""), ($g.unreadable // ""),
	 ($g.snapshot // "")] |
	map(tostring) | join("\u001f")' < "$work/generation" 2>/dev/null)
[ -n "$gen" ] || fail "cannot snapshot $metastore"
if [ -n "$unreadable" ]; then
	still="$target still has no readable generation object (meta/generation: $unreadable)"
elif [ -z "$rgen" ]; then
	cat "$work/generation.err" >&2
	fail "cannot read the generation object of $target"
elif [ "$rgen" = 0 ]; then
	still="$target serves no generation yet"
else
	still="$target still serves generation $rgen"
fi

# The fast path of a no-op: the remote switched to this generation (so
# every file it references went up first), its snapshot is there, and a gc
# with the same --keep finished after that (meta/clean holds both). -a
# checks the full listing anyway.
if [ -z "$all$force$dry$unreadable" ]; then
	if [ "$rgen" = "$gen" ] && [ -n "$snapkey" ] && ms stat meta/clean "$snapkey" > /dev/null 2>&1 &&
	    ms get meta/clean "$work/clean" && [ "$(cat "$work/clean")" = "$gen $keep${where:+ $where}" ]; then
		progress ""
		[ -t 2 ] && [ -z "$quiet" ] && printf '\r\033[K' >&2
		[ -n "$quiet" ] || warn "$target is at generation $gen already: nothing to do"
		exit 0
	fi
fi

# (1) + (2): what the remote has (the listing kept for the gc), and what it
# lacks: absent, or of another size (a torn upload by another tool)
progress "listing $target"
ms -l "$work/remote.ndjson" missing -m "$work/snap.sqlite" "$root" > "$work/upload.ndjson" ||
	fail "cannot compare $metastore with $target"

# Clips outside the rule: nothing of theirs stays on the remote, not even
# for the kept generations (their snapshots hold the rows): delete their
# objects after the switch, and keep no older generation this time.
: > "$work/private.keys"
if [ "$nexcluded" != 0 ]; then
	jq -r '.excluded[]' "$work/snap.json" > "$work/excluded.ids" || fail "cannot read the snapshot's left-out clips"
	jq -r .key "$work/remote.ndjson" | awk -F/ 'NR == FNR { x[$0]; next } $1 == "clips" && ($2 in x)' \
	    "$work/excluded.ids" - > "$work/private.keys" || fail "cannot compare the remote with the rule"
fi
if [ -s "$work/private.keys" ]; then
	keep=0 force=-f
	warn "$(wc -l < "$work/private.keys") objects on $target belong to clips outside the rule: they go after the switch, and so do the older generations"
fi
nup=$(wc -l < "$work/upload.ndjson")
bup=0
[ "$nup" -eq 0 ] || bup=$(jq -s 'map(.bytes) | add // 0' "$work/upload.ndjson")

if [ -n "$dry" ]; then
	ms keys -m "$work/snap.sqlite" | jq -r .key > "$work/local.keys" ||
		fail "cannot read the keys of $metastore"
	jq -c '{upload: .key, bytes}' "$work/upload.ndjson"
	ms $force -k "$keep" -n push -m "$work/snap.sqlite" > "$work/push.ndjson" ||
		fail "cannot plan the snapshot upload"
	if jq -e 'has("upload")' "$work/push.ndjson" >/dev/null; then
		cat "$work/push.ndjson"
		snapup=1
	else
		snapup=0
	fi
	ms -n -k "$keep" -x "$work/local.keys" -l "$work/remote.ndjson" gc > "$work/gc.ndjson" ||
		fail "cannot plan the deletes"
	cat "$work/gc.ndjson"
	ndel=$(wc -l < "$work/gc.ndjson")
	warn "plan: upload $nup files ($bup bytes)$([ "$snapup" = 1 ] && echo " and the snapshot of generation $gen"), delete $ndel files; nothing changed (-n)"
	exit 0
fi

if [ "$nup" -gt 0 ]; then
	# medusa-store prints a line per finished upload: count them
	# the listing said these are missing: no HEAD before each PUT (a key
	# names its bytes, so overwriting one put meanwhile changes nothing)
	if ! MEDUSA_S3_CHECK=0 ms -j "$jobs" put - < "$work/upload.ndjson" | {
		n=0
		while IFS= read -r _; do
			n=$((n + 1))
			progress "uploaded $n/$nup files"
		done
		echo "$n" > "$work/uploaded"
	}; then
		fail "uploading renditions to $target failed ($(cat "$work/uploaded" 2>/dev/null || echo 0) of $nup done); $still"
	fi
fi

# (3) + (4): snapshot and manifest, then the switch
progress "switching $target to generation $gen"
ms $force -k "$keep" push -m "$work/snap.sqlite" > "$work/push.ndjson" ||
	fail "uploading the metastore snapshot to $target failed; $still"
# the push switched the remote to the snapshot's generation
rgen=$gen

# (5) tell the remote servers (they would notice at their next poll anyway)
rc=0
if [ ${#recache[@]} -gt 0 ]; then
	if ! command -v medusa-recache >/dev/null 2>&1; then
		warn "medusa-recache is not installed: ${recache[*]} not told to re-cache"
		rc=1
	else
		progress "re-caching ${#recache[@]} servers"
		rargs=(-G "$rgen")
		[ -n "$key" ] && rargs+=(-k "$key")
		[ -n "$dir" ] && rargs+=(-C "$dir")
		if ! medusa-recache "${rargs[@]}" "${recache[@]}" > "$work/recache.ndjson"; then
			warn "re-cache failed for some servers (they pick up generation $rgen when they next poll)"
			rc=1
		fi
	fi
fi

if [ -s "$work/private.keys" ]; then
	ms rm - < "$work/private.keys" || fail "deleting the objects of clips outside the rule from $target failed (the next sync retries)"
fi

# (6) what no kept generation references
progress "removing unused files from $target"
# (and meta/clean, which lets the next sync stop early)
ms -c ${where:+-W "$where"} -k "$keep" -l "$work/remote.ndjson" gc > "$work/gc.ndjson" ||
	fail "removing unused files from $target failed (the next sync retries)"
ndel=$(wc -l < "$work/gc.ndjson")

t1=$(date +%s%N)
e=$(( (t1 - t0) / 1000000 ))
progress ""
[ -t 2 ] && [ -z "$quiet" ] && printf '\r\033[K' >&2
if [ -z "$quiet" ] || [ "$rc" -ne 0 ]; then
	printf '%s: uploaded %d files (%d bytes), generation %s, deleted %d files in %d.%03d s\n' \
	    "$prog" "$nup" "$bup" "$rgen" "$ndel" $((e / 1000)) $((e % 1000)) >&2
fi
exit "$rc"
