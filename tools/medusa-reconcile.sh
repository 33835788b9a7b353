#!/bin/bash
# medusa-reconcile: make the frontyard match the backyard.
#   scan -> meta clips -> tags check -> cut -> publish --prune -> recache
# One run at a time per metastore (flock); safe to kill and run again: every
# stage writes only whole files and publish commits rows after their files.
set -u -o pipefail
prog=medusa-reconcile

usage() {
	echo "usage: $prog [-fnq] [-C backyard] [-s storage] [-m metastore] [-u base-url]" \
	    "[-W rule] [-r frontyard-url ...] [-j N] [-g grace] [-S sshlogin|sshloginfile ... [-p] [-B shared]]" >&2
	exit 2
}
warn() { echo "$prog: $*" >&2; }

dir= storage= metastore= url= jobs= force= nowait= quiet= where= grace=
recache=()
hosts=() shared= plan=
while getopts C:s:m:u:W:r:j:g:S:B:pfnqh opt; do
	case $opt in
	C) dir=$OPTARG ;;
	s) storage=$OPTARG ;;
	m) metastore=$OPTARG ;;
	u) url=$OPTARG ;;
	W) where=$OPTARG ;;
	r) recache+=("$OPTARG") ;;
	j) jobs=$OPTARG ;;
	g) grace=$OPTARG ;;
	S) hosts+=(-S "$OPTARG") ;;
	B) shared=$OPTARG ;;
	p) plan=1 ;;
	f) force=--force ;;
	n) nowait=1 ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
case $jobs in
'') ;;
*[!0-9]* | 0) warn "-j $jobs: the number of clips to convert at once is a positive integer"; exit 2 ;;
esac
case $grace in
'') ;;
*[!0-9]*) warn "-g $grace: the grace period is a number of seconds"; exit 2 ;;
esac
if [ "${#hosts[@]}" -eq 0 ] && [ -n "$shared$plan" ]; then
	warn "-B and -p go with -S (the hosts to convert on)"
	exit 2
fi

# The frontyard settings as medusa-publish resolves them: options, then the
# config, then the embedded defaults beside the backyard.
args=()
[ -n "$dir" ] && args+=(-C "$dir")
[ -n "$storage" ] && args+=(-s "$storage")
[ -n "$metastore" ] && args+=(-m "$metastore")
[ -n "$url" ] && args+=(-u "$url")
[ -n "$where" ] && args+=(-W "$where")
# (a metastore that is no metastore or is damaged is named here, before
# any work is done)
settings=$(medusa-publish -E "${args[@]}") || exit 2
MEDUSA_ROOT= MEDUSA_STORAGE= MEDUSA_METASTORE= MEDUSA_WORKDIR= MEDUSA_URL= MEDUSA_WHERE= MEDUSA_GENERATION=
eval "$settings"
gen0=$MEDUSA_GENERATION
export MEDUSA_BACKYARD=$MEDUSA_ROOT
if [ ! -d "$MEDUSA_ROOT" ]; then
	warn "$MEDUSA_ROOT: the backyard is not there"
	exit 2
fi

# renditions inside the scanned tree would come back as videos; a
# dot-directory is not scanned
for d in "${MEDUSA_STORAGE#file:}" "$MEDUSA_WORKDIR"; do
	case $d/ in
	"$MEDUSA_ROOT"/*)
		case /${d#"$MEDUSA_ROOT"/} in
		*/.*) ;;
		*) warn "$d: inside the backyard $MEDUSA_ROOT, where medusa-scan would take renditions for videos (use a folder outside it, or a dot-folder)"
			exit 2 ;;
		esac ;;
	esac
done

mkdir -p -- "$MEDUSA_WORKDIR" "$(dirname -- "$MEDUSA_METASTORE")" || exit 2
lock=$MEDUSA_METASTORE.reconcile.lock
exec 9>>"$lock" || { warn "$lock: cannot open the lock file"; exit 2; }
if ! flock -n 9; then
	if [ -n "$nowait" ]; then
		warn "another medusa-reconcile is running on $MEDUSA_METASTORE (lock $lock): not waiting"
		exit 1
	fi
	warn "another medusa-reconcile is running on $MEDUSA_METASTORE: waiting for it (lock $lock)"
	flock 9 || { warn "$lock: cannot lock"; exit 2; }
fi

log=$MEDUSA_WORKDIR/reconcile.ndjson
t0=$(date +%s%N)
cutargs=(-w "$MEDUSA_WORKDIR")
[ -n "$jobs" ] && cutargs+=(-j "$jobs")
[ -n "$quiet" ] && cutargs+=(-q)

# With -S the clips go to the hosts first (medusa-reconcile-hosts); the
# medusa-cut here then finds their renditions made and writes the records.
hostargs=("${hosts[@]}" -C "$MEDUSA_ROOT" -w "$MEDUSA_WORKDIR")
[ -n "$shared" ] && hostargs+=(-B "$shared")
[ -n "$quiet" ] && hostargs+=(-q)
cut_stage() {
	[ "${#hosts[@]}" -gt 0 ] || { medusa-cut "${cutargs[@]}"; return; }
	medusa-reconcile-hosts "${hostargs[@]}" | medusa-cut "${cutargs[@]}"
	local s=("${PIPESTATUS[@]}")
	[ "${s[0]}" -gt 128 ] && [ "${s[0]}" -ne 141 ] && warn "medusa-reconcile-hosts was killed (signal $((${s[0]} - 128)))"
	[ "${s[0]}" -ge "${s[1]}" ] && return "${s[0]}"
	return "${s[1]}"
}
if [ -n "$plan" ]; then
	medusa-scan | medusa-meta clips | medusa-tags check |
	    medusa-reconcile-hosts -p "${hostargs[@]}"
	exit
fi
pubargs=()
[ -n "$grace" ] && pubargs+=(--grace "$grace")
pipeline() {
	medusa-scan |
		medusa-meta clips |
		medusa-tags check |
		cut_stage |
		medusa-publish -q -s "$MEDUSA_STORAGE" -m "$MEDUSA_METASTORE" -u "$MEDUSA_URL" \
		    -w "$MEDUSA_WORKDIR" ${MEDUSA_WHERE:+-W "$MEDUSA_WHERE"} --prune $force "${pubargs[@]}" > "$log.tmp"
	st=("${PIPESTATUS[@]}")
	mv -f -- "$log.tmp" "$log"
}
# The counts of the summary record that publish writes last (the log's last
# line), read by one jq: published is empty, and so is every count, when
# that line is no such record (the pipeline stopped before publish's end).
read_summary() {
	local line
	line=$(tail -n 1 -- "$log" | jq -r '.summary | objects | select((.publish | type) == "object") |
	    . as $s | [(.publish | .changed, .unchanged, .failed, .errors, .pruned, .damaged,
	    .generation), .videos] | map(numbers // "" | tostring) +
	    [if $s.complete == true then "1" else "" end] | join(",")' 2>/dev/null | head -n 1)
	published=${line:+1}
	IFS=, read -r changed unchanged failed errors pruned damaged gen videos complete <<<"$line"
}
pipeline
read_summary
# a rendition whose bytes did not match its record was removed by publish:
# once more, and medusa-cut makes it again
if [ "${damaged:-0}" -gt 0 ]; then
	warn "$damaged renditions in $MEDUSA_WORKDIR did not match their records and were removed: converting them again"
	pipeline
	read_summary
fi
t1=$(date +%s%N)

rc=0
names=(medusa-scan "medusa-meta clips" "medusa-tags check" medusa-cut medusa-publish)
for i in "${!st[@]}"; do
	s=${st[$i]}
	[ "$s" -eq 0 ] && continue
	# a SIGPIPE only follows a later stage that stopped: say nothing of it
	[ "$s" -gt 128 ] && [ "$s" -ne 141 ] && warn "${names[$i]} was killed (signal $((s - 128)))"
	[ "$s" -eq 2 ] && rc=2
	[ "$rc" -eq 0 ] && rc=1
done

if [ -z "$published" ]; then
	# what the metastore says now: publish may have committed and then
	# failed to write its records (a full disk under the work directory)
	MEDUSA_GENERATION=
	eval "$(medusa-publish -E "${args[@]}" 2>/dev/null)"
	if [ -n "$MEDUSA_GENERATION" ] && [ "$MEDUSA_GENERATION" != "$gen0" ]; then
		warn "medusa-publish committed generation $MEDUSA_GENERATION, but its records and counts could not be written to $log (see the messages above)"
	else
		warn "the pipeline stopped before publishing (see the messages above); nothing was published or pruned${gen0:+, the frontyard is still at generation $gen0}"
	fi
	[ "$rc" -eq 0 ] && rc=1
	exit "$rc"
fi
# what was published, so that a later run with -S sends the hosts only
# what is not converted yet (medusa-reconcile-hosts keeps that ledger)
if [ "${#hosts[@]}" -gt 0 ]; then
	medusa-reconcile-hosts -C "$MEDUSA_ROOT" -w "$MEDUSA_WORKDIR" -L "$log" || [ "$rc" -ne 0 ] || rc=1
elif command -v jq >/dev/null 2>&1 && command -v b2sum >/dev/null 2>&1; then
	medusa-reconcile-hosts -C "$MEDUSA_ROOT" -w "$MEDUSA_WORKDIR" -L "$log" 2>/dev/null
fi
failed=$((failed + errors))
[ "$failed" -gt 0 ] && [ "$rc" -eq 0 ] && rc=1
if [ -n "$complete" ] && [ "${videos:-1}" -eq 0 ]; then
	warn "$MEDUSA_ROOT holds no videos (an empty or unmounted folder?): nothing was pruned"
	[ "$rc" -eq 0 ] && rc=1
fi

if [ "${#recache[@]}" -gt 0 ]; then
	if ! command -v medusa-recache >/dev/null 2>&1; then
		warn "medusa-recache is not installed: ${recache[*]} not told to re-cache"
	elif ! medusa-recache -C "$MEDUSA_ROOT" "${recache[@]}"; then
		warn "re-cache failed: ${recache[*]}"
		[ "$rc" -eq 0 ] && rc=1
	fi
fi

ms=$(( (t1 - t0) / 1000000 ))
if [ -z "$quiet" ] || [ "$rc" -ne 0 ]; then
	printf '%s: %d clips converted, %d skipped, %d failed, %d pruned in %d.%03d s; generation %s\n' \
	    "$prog" "${changed:-0}" "${unchanged:-0}" "$failed" "${pruned:-0}" \
	    $((ms / 1000)) $((ms % 1000)) "${gen:-?}" >&2
	[ -z "$quiet" ] && printf '%s: storage %s, metastore %s, records %s\n' \
	    "$prog" "$MEDUSA_STORAGE" "$MEDUSA_METASTORE" "$log" >&2
fi
exit "$rc"
