#!/bin/bash
# medusa-reconcile-hosts: the cut stage of medusa-reconcile -S, on other
# hosts. A filter in front of medusa-cut: it reads clip records, sends the
# clips that are not converted yet to the hosts through GNU parallel (one
# job per video: the video, the config, the clips and the renditions the
# clips already have), puts what comes back into the work directory as
# medusa-cut would have made it, and passes the records on. The medusa-cut
# after it then finds every rendition made and writes the records exactly
# as a local run does. The contract with medusa-cut is in HACKING.md.
set -u -o pipefail
prog=medusa-reconcile
LC_ALL=C
export LC_ALL

usage() {
	echo "usage: medusa-reconcile-hosts [-pq] [-B shared] -C backyard -w workdir" \
	    "-S sshlogin|sshloginfile ... < clips" >&2
	echo "       medusa-reconcile-hosts -C backyard -w workdir -L published.ndjson" >&2
	exit 2
}
shown=
progress_clear() { [ -n "$shown" ] && printf '\r\033[K' >&2; shown=; }
say() { progress_clear; echo "$prog: $*" >&2; }
die() { say "$@"; exit 2; }

root= work= shared= plan= quiet= learn=
logins=()
while getopts C:w:S:B:L:pqh opt; do
	case $opt in
	C) root=$OPTARG ;;
	w) work=$OPTARG ;;
	S) logins+=("$OPTARG") ;;
	B) shared=${OPTARG%/} ;;
	L) learn=$OPTARG ;;
	p) plan=1 ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] && [ -n "$root" ] && [ -n "$work" ] || usage
# the job folders link to the videos and the config: absolute paths
case $root in /*) ;; *) root=$PWD/$root ;; esac
case $work in /*) ;; *) work=$PWD/$work ;; esac
[ -n "$learn" ] || [ "${#logins[@]}" -gt 0 ] || usage
config=$root/backyard.medusa.json
ledger=$work/.hosts

for c in jq b2sum; do
	command -v $c >/dev/null 2>&1 || die "$c is not installed: it is needed with -S"
done

# What the versions of this machine's medusa-cut depend on besides the
# video: the profiles and the program. A ledger entry made under another
# identity says nothing about today's versions.
identity() {
	local cut
	cut=$(command -v medusa-cut) && cut=$(readlink -f -- "$cut") || return 1
	{ jq -cS '.profiles' "$config" && stat -L -c '%s %.9Y %i' -- "$cut"; } |
	    b2sum -l 64 | cut -d' ' -f1
}
ident=$(identity) || die "$config: cannot read the profiles (or medusa-cut is not installed)"

# ---------------------------------------------------------------------
# The ledger: which clip, from which video (path, size, mtime) and times,
# came out as which renditions under this identity. It only spares
# sending a video whose clips are made; medusa-cut still checks.
#   $ledger/ledger.ndjson   the clips of the last complete run
#   $ledger/jobs/*.ndjson   the jobs returned since (a killed run's too)

ledger_learn() {  # ledger_learn PUBLISHED: after a complete run
	mkdir -p -- "$ledger/jobs" || exit 2
	jq -c --arg i "$ident" 'select(.clip and (.renditions | type) == "array") |
	    {i: $i, c: .clip, s: [.video, .size, .mtime, .start, .end],
	     f: [.renditions[].key | ltrimstr("clips/")]}' "$1" > "$ledger/ledger.ndjson.tmp" &&
	    mv -f -- "$ledger/ledger.ndjson.tmp" "$ledger/ledger.ndjson" || exit 2
	find "$ledger/jobs" -maxdepth 1 -name '*.ndjson' -delete
	exit 0
}
[ -n "$learn" ] && ledger_learn "$learn"

command -v parallel >/dev/null 2>&1 || die "GNU parallel is not installed: -S needs it (Debian: parallel)"
[ -n "$shared" ] || command -v rsync >/dev/null 2>&1 || die "rsync is not installed: -S sends videos with it"
[ -n "$shared" ] && case $shared in /*) ;; *) die "-B $shared: give the absolute path the hosts see the backyard at" ;; esac

# ---------------------------------------------------------------------
# Work areas: STAGE holds this run's jobs (as parallel sends them: each
# one is the folder .parallel/tmp/medusa-TAG-PID-J, relative to STAGE
# here and to the login folder on a host), CM the ssh control sockets
# (short paths: a socket path has a length limit).
tag=$(printf '%s\n%s\n' "$(uname -n)" "$work" | b2sum -l 48 | cut -d' ' -f1)
run=medusa-$tag-$$
mkdir -p -- "$ledger/jobs" || exit 2
for d in "$ledger"/run.*; do
	# a run that was killed left its stage (one that runs is a process of
	# this name: a pid alone may be another process's by now)
	[ -d "$d" ] || continue
	grep -qa medusa-reconcile-hosts "/proc/${d##*.}/cmdline" 2>/dev/null || rm -rf -- "$d"
done
STAGE=$ledger/run.$$
jobs_dir=.parallel/tmp
mkdir -p -- "$STAGE/$jobs_dir" "$STAGE/orig" "$STAGE/ret" || exit 2
# (a socket path holds 108 bytes, and ssh adds 58 to the folder); a killed
# run's control folder goes now (one run at a time per work dir)
cmtop=${TMPDIR:-/tmp}
[ "${#cmtop}" -le 24 ] || cmtop=/tmp
find "$cmtop" -maxdepth 1 -name "medusa-cm-$tag.*" -user "$(id -u)" -exec rm -rf {} + 2>/dev/null
CM=$(mktemp -d "$cmtop/medusa-cm-$tag.XXXXXX") || die "cannot make a temporary folder"
ppid_parallel=

# the shared ssh connections (ControlPersist) end with the run
cm_stop() {
	local i
	[ -n "${cm:-}" ] || return 0
	for i in "${!H_LINE[@]}"; do
		case ${H_LINE[$i]} in : | *' '*) continue ;; esac
		$PARALLEL_SSH -O exit "${H_LINE[$i]}" > /dev/null 2>&1 &
	done
	wait
}

cleanup() {
	progress_clear
	[ -n "$ppid_parallel" ] && kill -TERM "$ppid_parallel" 2>/dev/null && wait "$ppid_parallel" 2>/dev/null
	cm_stop
	rm -rf -- "$STAGE" "$CM"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

# ssh for parallel: the user's PARALLEL_SSH (or ssh), never asking for a
# password, noticing a dead host within a minute, one connection a host.
ssh_base=${PARALLEL_SSH:-ssh}
case $ssh_base in
ssh | ssh\ * | */ssh | */ssh\ *)
	PARALLEL_SSH="$ssh_base -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -o ControlMaster=auto -o ControlPath=$CM/%C -o ControlPersist=60"
	cm=1 ;;
*) PARALLEL_SSH=$ssh_base cm= ;;
esac
export PARALLEL_SSH
# rsync follows the job's symbolic links (the video, the config) and keeps
# relative paths; no compression (videos do not shrink)
export PARALLEL_RSYNC_OPTS=-rLR

# ---------------------------------------------------------------------
# Hosts: GNU parallel's sshlogins ([@groups/][N/]sshlogin, ':' for this
# machine), from -S values that are files (sshloginfiles) or lists.
H_LINE=() H_NAME=() H_GROUPS=() H_N=() H_OK=() H_WHY=() H_LOST=()

host_add() {
	local l=$1 g= n=
	case $l in '' | \#*) return ;; esac
	case $l in @*/*) g=${l%%/*} g=${g#@} l=${l#*/} ;; esac
	case $l in [0-9]*/*) n=${l%%/*}
		case $n in *[!0-9]*) n= ;; *) l=${l#*/} ;; esac ;;
	esac
	H_LINE+=("$l") H_NAME+=("$l") H_GROUPS+=("$g") H_N+=("$n") H_OK+=("") H_WHY+=("") H_LOST+=("")
}

hosts_read() {
	local a f line s part
	for a in "${logins[@]}"; do
		f=
		case $a in
		..) f=${XDG_CONFIG_HOME:-$HOME/.config}/parallel/sshloginfile
			[ -f "$f" ] || f=$HOME/.parallel/sshloginfile ;;
		.) f=/etc/parallel/sshloginfile ;;
		*) [ -f "$a" ] && f=$a ;;
		esac
		if [ -n "$f" ]; then
			[ -r "$f" ] || die "$f: cannot read the sshloginfile"
			while IFS= read -r line || [ -n "$line" ]; do
				host_add "$line"
			done < "$f"
			continue
		fi
		# a list: split on ',' and newlines; '\,' and ',,' are a comma
		s=${a//\\,/$'\1'} s=${s//,,/$'\1'}
		while IFS= read -r -d, part; do
			while IFS= read -r line; do host_add "${line//$'\1'/,}"; done <<< "$part"
		done <<< "$s,"
	done
	[ "${#H_LINE[@]}" -gt 0 ] || die "-S: no sshlogins"
}

# The canary, run on every host and here: medusa-cut must be there, take
# the config and make the same versions as here for the same (tiny,
# undecodable) file with a nanosecond mtime, once from the file and once
# from a fingerprint in the record (a medusa-cut that takes one and one
# that does not differ there); medusa-cut makes a clip's version folders
# before it opens the source (HACKING.md), so nothing is decoded. It also
# removes the job folders that killed runs of this work directory left,
# and says how many CPUs the host has.
canary_script() {
	cat <<EOF
set -u; LC_ALL=C; export LC_ALL
say() { echo "\$*"; exit 0; }
for c in medusa-cut tar base64 stat touch truncate; do
	command -v \$c >/dev/null 2>&1 || say "error \$c is not installed there (PATH=\$PATH)"
done
[ -n "$shared" ] || command -v rsync >/dev/null 2>&1 || say "error rsync is not installed there"
rm -rf "\$HOME/$jobs_dir/medusa-$tag-"* 2>/dev/null
d=\$(mktemp -d "\${TMPDIR:-/tmp}/medusa-canary.XXXXXX") || say "error cannot make a temporary folder"
trap 'rm -rf "\$d"' EXIT
mkdir "\$d/by"
echo '$(base64 -w0 < "$config")' | base64 -d > "\$d/by/backyard.medusa.json"
printf 'medusa canary\n' > "\$d/by/c.mp4"
touch -m -d @1000000000.123456789 "\$d/by/c.mp4" || say "error touch cannot set a nanosecond mtime"
printf '%s\n' '{"clip":"canary","video":"c.mp4","start":0,"end":1}' \\
    '{"clip":"canaryf","video":"c.mp4","start":0,"end":1,"size":14,"mtime":1000000000,"fingerprint":"$(printf '%064d' 0)"}' |
    medusa-cut -q -C "\$d/by" -w "\$d/w" > /dev/null 2> "\$d/err"
st=\$?
[ \$st -lt 2 ] || say "error its medusa-cut refuses the config: \$(head -c 300 "\$d/err" | tr '\n' ' ')"
echo "ok \$(nproc 2>/dev/null || echo 1) \$(cd "\$d/w" 2>/dev/null && ls -d canary*/* | sort | tr '\n' ' ')"
EOF
}

checked=
hosts_check() {
	local b64 ref i out err
	checked=1
	b64=$(canary_script | base64 -w0)
	ref=$(echo "$b64" | base64 -d | sh 2>&1)
	case $ref in
	ok\ *) ref=${ref#ok } ref=${ref#* } ;;
	*) die "this machine cannot run the cut stage: ${ref#error }" ;;
	esac
	[ -n "${ref// /}" ] || say "note: cannot compare the versions hosts make (this medusa-cut made no version folders for the canary)"
	# one parallel for all of them: job I runs on host I (its hostgroup)
	for i in "${!H_LINE[@]}"; do
		printf '@medusa%s/1/%s\n' "$i" "${H_LINE[$i]}"
	done > "$STAGE/canary.slf"
	for i in "${!H_LINE[@]}"; do echo "$i@medusa$i"; done |
	    parallel --hostgroups --timeout 120 --slf "$STAGE/canary.slf" --results "$STAGE/canary.{}" \
	    "echo $b64 | base64 -d | sh -s {}" > /dev/null 2>&1
	for i in "${!H_LINE[@]}"; do
		out=$(head -n 1 "$STAGE/canary.$i" 2>/dev/null)
		case $out in
		ok\ *)
			out=${out#ok }
			[ -n "${H_N[$i]}" ] || H_N[$i]=${out%% *}
			if [ "${out#* }" = "$ref" ]; then
				H_OK[$i]=1
			else
				H_WHY[$i]="its medusa-cut makes other rendition versions than this machine's (another version of medusa?)"
			fi ;;
		error\ *) H_WHY[$i]=${out#error } ;;
		*) err=$(grep -v '^$' "$STAGE/canary.$i.err" 2>/dev/null | tail -n 1)
			H_WHY[$i]="cannot run commands there${err:+ ($err)}" ;;
		esac
		[ -n "${H_OK[$i]}" ] || say "host $(show "${H_NAME[$i]}"): not used: ${H_WHY[$i]}"
	done
}

# ---------------------------------------------------------------------
# Records in: error records go on at once, the summary at the very end,
# clips whose renditions the ledger knows go on to medusa-cut at once, the
# others become jobs (one per video, in the order of the input).

records_read() {
	cat > "$STAGE/in.ndjson" || exit 2
	jq -r 'if has("summary") then "S\t" + tojson
	    elif has("error") or (has("clip") | not) then "P\t" + tojson
	    else "C\t" + tojson end' "$STAGE/in.ndjson" > "$STAGE/in.tsv" ||
	    die "the clip records do not read as JSON"
	grep '^S' "$STAGE/in.tsv" | cut -f2- > "$STAGE/summary.ndjson"
	grep '^P' "$STAGE/in.tsv" | cut -f2- | emit
	grep '^C' "$STAGE/in.tsv" | cut -f2- > "$STAGE/clips.ndjson"
}

emit() { cat || exit 141; }

# Clips (their line numbers in clips.ndjson) whose ledger entry matches and
# whose files are all in the work directory.
ledger_done() {
	find "$work" -mindepth 3 -maxdepth 3 -type f -printf '%P\n' | sort > "$STAGE/have"
	cat "$ledger/ledger.ndjson" "$ledger"/jobs/*.ndjson 2>/dev/null |
	    jq -R -c --arg i "$ident" 'fromjson? | select(.i == $i)' > "$STAGE/ledger"
	jq -n -r --slurpfile L "$STAGE/ledger" '
	    (reduce $L[] as $e ({}; .[$e.c] = $e)) as $by
	    | foreach (inputs) as $r (0; . + 1;
	        . as $n | $by[$r.clip] as $e
	        | select($e and $e.s == [$r.video, $r.size, $r.mtime, $r.start, $r.end])
	        | $e.f[] | "\($n)\t\(.)", "\($n)\t\(sub("/(?<b>[^/]*)$"; "/.\(.b).json"))")' \
	    "$STAGE/clips.ndjson" | sort -t "$(printf '\t')" -k2,2 > "$STAGE/want"
	# a wanted file that is not there: that clip is not done
	join -t "$(printf '\t')" -1 2 -2 1 -v 1 -o 1.1 "$STAGE/want" "$STAGE/have" | sort -u > "$STAGE/missing"
	cut -f1 "$STAGE/want" | sort -u | comm -23 - "$STAGE/missing" | sort -n > "$STAGE/done"
}

# jobs.tsv: J, bytes to send, clips, video (JSON); the job folders
jobs_make() {
	local J=0 tok video vjson ext size rec jd st name abs rel
	local -A ST
	# done clips go on now
	jq -n -c --rawfile done "$STAGE/done" '
	    ($done | split("\n") | map(select(. != "") | {(.): true}) | add // {}) as $d
	    | foreach (inputs) as $r (0; . + 1; select($d[tostring]) | $r)' \
	    "$STAGE/clips.ndjson" | emit
	# the others, grouped by video in the order of the input, as tokens
	# ending in NUL (a file name may hold any other byte): G, the video, its
	# name as JSON and its extension, then per clip O and its record, C and
	# the clip as the host's medusa-cut gets it (with the fingerprint, and
	# the size and mtime it goes with, when the record carries one: the
	# medusa-cut here takes it, so the host must too)
	jq -n -j --rawfile done "$STAGE/done" '
	    ($done | split("\n") | map(select(. != "") | {(.): true}) | add // {}) as $d
	    | reduce (foreach (inputs) as $r (0; . + 1; select($d[tostring] | not) | $r)) as $r
	        ({o: [], g: {}}; if .g[$r.video] then .g[$r.video] += [$r]
	         else .o += [$r.video] | .g[$r.video] = [$r] end)
	    | .o[] as $v | ("v" + ($v | capture("(?<e>\\.[A-Za-z0-9]{1,10})$").e // "")) as $n
	    | "G\u0000\($v)\u0000\($v | tojson)\u0000\($n)\u0000",
	      (.g[$v][] | "O\u0000\(tojson)\u0000C\u0000\({clip, video: $n, start, "end": .end}
	         + if has("fingerprint") then {fingerprint, size, mtime} else {} end | tojson)\u0000")' \
	    "$STAGE/clips.ndjson" > "$STAGE/groups" || exit 2
	# size and mtime of every video, by one stat
	jq -n -j --arg r "$root/" 'inputs | select(.video) | .video
	    | "\(if startswith("/") then "" else $r end)\(.)\u0000"' "$STAGE/clips.ndjson" |
	    xargs -0 -r stat -L --printf '%s %.9Y %n\0' -- 2> /dev/null > "$STAGE/stat"
	while IFS= read -r -d '' st; do
		name=${st#* } name=${name#* }
		ST[$name]=${st%" $name"}
	done < "$STAGE/stat"
	while IFS= read -r -d '' tok; do
		case $tok in
		G)
			IFS= read -r -d '' video; IFS= read -r -d '' vjson; IFS= read -r -d '' name
			case $video in /*) abs=$video rel=${video#/} ;; *) abs=$root/$video rel=$video ;; esac
			st=${ST[$abs]:-}
			if [ -z "$st" ]; then
				jd=  # the video went away since the scan: its clips fail now
				continue
			fi
			J=$((J + 1))
			jd=$STAGE/$jobs_dir/$run-$J
			mkdir -p -- "$jd/by" && ln -s -- "$config" "$jd/by/backyard.medusa.json" &&
			    ln -s -- "$STAGE/job.sh" "$jd/job.sh" || exit 2
			printf '%s\n' "$st" > "$jd/src"
			printf '%s' "$name" > "$jd/name"
			printf '%s' "$abs" > "$jd/local"
			size=${st%% *}
			if [ -n "$shared" ]; then
				printf '%s' "$shared/$rel" > "$jd/shared"
				size=0
			else
				ln -s -- "$abs" "$jd/by/$name" || exit 2
			fi
			JSIZE[$J]=$size JV[$J]=$vjson JN[$J]=0 JNAME[$J]=$name JVIDEO[$J]=$video ;;
		O)
			IFS= read -r -d '' rec
			if [ -n "$jd" ]; then
				printf '%s\n' "$rec" >> "$STAGE/orig/$J.ndjson"
				JN[$J]=$((JN[$J] + 1))
			else
				printf '%s\n' "$rec" >> "$STAGE/gone.ndjson"
			fi ;;
		C)
			IFS= read -r -d '' rec
			[ -z "$jd" ] || printf '%s\n' "$rec" >> "$jd/clips.ndjson" ;;
		esac
	done < "$STAGE/groups"
	njobs=$J
	if [ -s "$STAGE/gone.ndjson" ]; then
		jq -c '{video, clip, error: "cannot read the video: it is gone"}' "$STAGE/gone.ndjson" | emit
		failed_clips=$((failed_clips + $(wc -l < "$STAGE/gone.ndjson")))
	fi
	for J in $(seq "$njobs"); do
		printf '%s\t%s\t%s\t%s\n' "$J" "${JSIZE[$J]}" "${JN[$J]}" "${JV[$J]}"
	done > "$STAGE/jobs.tsv"
	seeds_make
}

# The renditions that the clips of a job already have here: the host makes
# them again only when its versions differ (a changed video or profile).
# Each goes as an empty file of its size and its record (seed.tsv), which
# is all medusa-cut looks at to skip one.
seeds_make() {
	local J
	[ "$njobs" -gt 0 ] || return 0
	(cd "$STAGE/orig" && jq -r '"\(.clip)\t\(input_filename | rtrimstr(".ndjson"))"' -- *.ndjson) |
	    sort -t "$(printf '\t')" -k1,1 > "$STAGE/clipjob"
	grep '/\.[^/]*\.json$' "$STAGE/have" | awk -F/ '{print $1 "\t" $0}' | sort -t "$(printf '\t')" -k1,1 |
	    join -t "$(printf '\t')" - "$STAGE/clipjob" > "$STAGE/seedfiles" || :
	[ -s "$STAGE/seedfiles" ] || return 0
	while IFS="$(printf '\t')" read -r clip rel J; do
		printf '%s\0' "$work/$rel"
	done < "$STAGE/seedfiles" | xargs -0 -r jq -c --arg w "$work/" '
	    (input_filename | ltrimstr($w)) as $m
	    | ($m | sub("/\\.(?<b>[^/]*)\\.json$"; "/\(.b)")) as $rel
	    | select(.bytes | type == "number")
	    | "\($m | split("/")[0])\t\($rel)\t\(.bytes)\t\(.file = "@W@/\($rel)" | tojson)"' 2>/dev/null |
	    sort -t "$(printf '\t')" -k1,1 | join -t "$(printf '\t')" - "$STAGE/clipjob" |
	    while IFS="$(printf '\t')" read -r clip rel bytes json J; do
		printf '%s\t%s\t%s\n' "$rel" "$bytes" "$json" >> "$STAGE/$jobs_dir/$run-$J/seed.tsv"
	done
}

# ---------------------------------------------------------------------
# The job, on a host (or here for ':'), in the login folder, with its
# folder beside: set the video's mtime (rsync keeps whole seconds) or find
# it on the share, check size and mtime against this machine's (they go
# into the rendition versions), plant the seeds, run medusa-cut, remove
# the seeds, and write a tar (512-byte blocks: little comes back) of
# cut.ndjson, cut.err and the new renditions on standard output. Exit 0
# when medusa-cut ran (some clips may have failed: their error records are
# in cut.ndjson), 3 when this host could not do the job (the message on
# stderr): it goes to another host.
job_script() {
	cat <<'EOF'
#!/bin/sh
set -u
LC_ALL=C
export LC_ALL
J=$1 top=$(pwd) here= tmpw= p=
[ "${PARALLEL_SSHLOGIN:-}" = : ] && here=1
# the job folder goes when the job ends (here, the stage keeps it)
done_() {
	[ -z "$tmpw" ] || rm -rf "$tmpw"
	[ -n "$here" ] || { cd "$top" && rm -rf "$J"; }
}
die() { echo "$*" >&2; done_; exit 3; }
cd "$J" 2>/dev/null || die "the job's files did not arrive"
raw() { cat "$1"; printf x; }
name=$(cat name) src=$(cat src)
v=by/$name
if [ -n "$here" ]; then
	p=$(raw local) p=${p%x}
	rm -f "$v" && ln -s "$p" "$v" || die "cannot link the video"
elif [ -f shared ]; then
	p=$(raw shared) p=${p%x}
	rm -f "$v" && ln -s "$p" "$v" || die "cannot link the video"
else
	touch -m -d "@${src#* }" "$v" || die "cannot set the mtime of the video"
fi
got=$(stat -L -c '%s %.9Y' "$v" 2>/dev/null) || die "the video is not there${p:+ ($p)}"
[ "$got" = "$src" ] || die "the video there${p:+ ($p)} has size and mtime $got, not $src as here"
rm -rf w cut.ndjson cut.err
mkdir w && W=$(cd w && pwd -P) || die "cannot make a work folder"
case $W in *[!A-Za-z0-9/._-]*)
	W=$(mktemp -d "${TMPDIR:-/tmp}/medusa-w.XXXXXX") || die "cannot make a work folder"
	tmpw=$W ;;
esac
if [ -f seed.tsv ]; then
	tab=$(printf '\t')
	while IFS="$tab" read -r rel bytes json; do
		d=${rel%/*} b=${rel##*/}
		mkdir -p "$W/$d" && truncate -s "$bytes" "$W/$rel" &&
		    printf '%s\n' "$json" | sed "s|@W@|$W|" > "$W/$d/.$b.json" || die "cannot plant $rel"
	done < seed.tsv
fi
medusa-cut -q -C by -w "$W" < clips.ndjson > cut.ndjson 2> cut.err
st=$?
[ "$st" -lt 2 ] || { cat cut.err >&2; die "medusa-cut failed there (exit $st)"; }
# a full or broken disk is this host's fault, not the clip's
if grep -q -e 'No space left on device' -e 'Disk quota exceeded' -e 'Read-only file system' \
    -e 'Input/output error' -e 'Cannot allocate memory' cut.err; then
	cat cut.err >&2; die "medusa-cut could not write there"
fi
if [ -f seed.tsv ]; then
	while IFS="$tab" read -r rel bytes json; do
		d=${rel%/*} b=${rel##*/}
		rm -f "$W/$rel" "$W/$d/.$b.json"
	done < seed.tsv
fi
tar -b 1 -cf - cut.ndjson cut.err -C "$W" .
st=$?
done_
exit $st
EOF
}

# ---------------------------------------------------------------------
# What came back from job J (its tar in RES): check and install every
# rendition (size and hash as its record says), then pass on the clips
# (the records as they came in) and the clips' error records. Puts the
# reason into $STAGE/why and returns 1 when the results do not check:
# nothing is installed then.
bad() { printf '%s\n' "$*" > "$STAGE/why"; return 1; }
install_job() {
	local J=$1 res=$2 host=$3 ret=$STAGE/ret/$1 tok rel bytes hash json f got line
	local -a nrel=() nbytes=() nhash=() njson=()
	rm -rf -- "$ret" && mkdir -p -- "$ret" || return 1
	tar -xf "$res" -C "$ret" --no-same-owner --no-same-permissions 2>/dev/null ||
	    { bad "what it sent back is not a whole tar"; return 1; }
	[ -z "$(find "$ret" ! -type f ! -type d -print -quit)" ] && [ -f "$ret/cut.ndjson" ] &&
	    [ -f "$ret/cut.err" ] || { bad "what it sent back is not what a job makes"; return 1; }
	# One jq reads it all, in tokens ending in NUL: N rel bytes hash record
	# (a rendition that came back, its record as it goes here), M rel bytes
	# (a rendition of a clip it made), L entry (the ledger's), R record (to
	# pass on), E message (a clip that failed there), W message (a clip
	# with a profile that failed alone there: its record goes on as it came,
	# so the medusa-cut here, finding the rest made, tries that profile
	# and writes the record a local run writes).
	# The returned renditions are read from the records beside them (the
	# clips that failed keep theirs, as with medusa-cut here).
	(cd "$ret" && find . -mindepth 3 -maxdepth 3 -type f -name '.*.json' -exec cat -- {} + |
	    jq -n -j --arg w "$work/" --arg h "$(show "$host")" --arg i "$ident" \
	    --slurpfile out cut.ndjson --slurpfile orig "$STAGE/orig/$J.ndjson" '
	    def tok: tostring + "\u0000";
	    (inputs | (.key | ltrimstr("clips/")) as $rel
	     | select($rel | test("^[A-Za-z0-9_-]+/[0-9a-f]{16}/[A-Za-z0-9_-]+\\.[a-z0-9]+$"))
	     | "N", $rel, .bytes, .hash, (.file = $w + $rel | tojson) | tok),
	    ((reduce $out[] as $o ({}; .[$o.clip // ""] = $o)) as $got
	     | ($got[] | select(.renditions) | .renditions[] | "M", (.key | ltrimstr("clips/")), .bytes | tok),
	       ($orig[] | $got[.clip] as $o
	        | if $o.renditions and (($o.failed // []) | length) == 0 then
	            ("L", ({i: $i, c: .clip, s: [.video, .size, .mtime, .start, .end],
	                    f: [$o.renditions[].key | ltrimstr("clips/")]} | tojson) | tok),
	            ("R", tojson | tok)
	          elif ($o.renditions | length) > 0 then
	            ("R", tojson, "W", "\(.video): clip \(.clip): on \($h): \([$o.failed[] | "\(.profile): \(.error)"]
	                | join("; ")); the rest came back, this is tried again here" | tok)
	          else ({video, clip, error: "on \($h): \($o.error // ([$o.failed[]? | "\(.profile): \(.error)"]
	                | if length > 0 then join("; ") else "medusa-cut gave no record for it" end))"}) as $e
	            | ("R", ($e | tojson), "E", "\($e.video): clip \($e.clip): \($e.error)" | tok) end))') \
	    > "$ret/.tok" 2>/dev/null || { bad "what it sent back does not read"; return 1; }
	clips_failed_here=0
	: > "$ret/.ledger"
	: > "$ret/.out"
	: > "$ret/.msg"
	while IFS= read -r -d '' tok; do
		case $tok in
		N) IFS= read -r -d '' rel; IFS= read -r -d '' bytes; IFS= read -r -d '' hash; IFS= read -r -d '' json
			[ -f "$ret/$rel" ] || { bad "it sent back a record of $rel without the file"; return 1; }
			nrel+=("$rel") nbytes+=("$bytes") nhash+=("$hash") njson+=("$json") ;;
		M) IFS= read -r -d '' rel; IFS= read -r -d '' bytes
			[ -f "$ret/$rel" ] && continue
			# planted from here: it must be here
			[ -f "$work/$rel" ] && got=$(stat -c %s -- "$work/$rel") && [ "$got" = "$bytes" ] ||
			    { bad "it made $rel but did not send it back"; return 1; } ;;
		L) IFS= read -r -d '' line; printf '%s\n' "$line" >> "$ret/.ledger" ;;
		R) IFS= read -r -d '' line; printf '%s\n' "$line" >> "$ret/.out" ;;
		E) IFS= read -r -d '' line; printf '%s\0' "$line" >> "$ret/.msg"
			clips_failed_here=$((clips_failed_here + 1)) ;;
		W) IFS= read -r -d '' line; printf '%s\0' "$line" >> "$ret/.msg" ;;
		esac
	done < "$ret/.tok"
	if [ "${#nrel[@]}" -gt 0 ]; then
		# sizes and hashes as the records say, by one stat and one b2sum
		got=$(cd "$ret" && stat -c %s -- "${nrel[@]}") ||
		    { bad "a rendition it sent back is missing"; return 1; }
		[ "${got//$'\n'/ }" = "${nbytes[*]}" ] || { bad "a rendition came back with another size than its record's"; return 1; }
		got=$(cd "$ret" && b2sum -l 256 -- "${nrel[@]}") ||
		    { bad "a rendition it sent back cannot be read"; return 1; }
		local sums=()
		while read -r hash rel; do sums+=("$hash"); done <<< "$got"
		[ "${sums[*]}" = "${nhash[*]}" ] || { bad "a rendition came back with another hash than its record's"; return 1; }
	fi
	# install: the file, then its record beside it (as medusa-cut does)
	for i in "${!nrel[@]}"; do
		f=$work/${nrel[$i]}
		{ [ -d "${f%/*}" ] || mkdir -p -- "${f%/*}"; } && mv -f -- "$ret/${nrel[$i]}" "$f" &&
		    printf '%s\n' "${njson[$i]}" > "${f%/*}/.${f##*/}.json.tmp" &&
		    mv -f -- "${f%/*}/.${f##*/}.json.tmp" "${f%/*}/.${f##*/}.json" ||
		    { bad "cannot install $f"; return 1; }
	done
	mv -f -- "$ret/.ledger" "$ledger/jobs/$run-$J.ndjson" || { bad "cannot write the ledger"; return 1; }
	# its messages, with the name of the video here
	while IFS= read -r line; do
		say "$(show "$host"): ${line//"${JNAME[$J]}"/${JVIDEO[$J]}}"
	done < "$ret/cut.err"
	while IFS= read -r -d '' line; do say "$line"; done < "$ret/.msg"
	emit < "$ret/.out"
	rm -rf -- "$ret" "$STAGE/$jobs_dir/$run-$J"
}

# ---------------------------------------------------------------------
# Progress on a terminal, and the per-host counts for the summary.
tty=
[ -t 2 ] && [ -z "$quiet" ] && tty=1
declare -A HJ HC HF HS HB HWHY
declare -a JSIZE JN JV JNAME JVIDEO
jobs_done=0 clips_done=0 failed_clips=0 njobs=0 t_start=$(date +%s)

progress() {
	[ -n "$tty" ] || return 0
	local i n el s=
	for i in "${!H_LINE[@]}"; do
		[ -n "${H_OK[$i]}" ] || continue
		n=${H_NAME[$i]}
		if [ -n "${H_LOST[$i]}" ]; then
			s="$s · $n lost"
		else
			s="$s · $n ${HC[$n]:-0} clips"
			el=$(( $(date +%s) - t_start ))
			[ "$el" -gt 0 ] && s="$s, $(( ${HC[$n]:-0} * 60 / el ))/min"
		fi
	done
	printf '\r\033[K%s: %d/%d videos%s' "$prog" "$jobs_done" "$njobs" "$s" >&2
	shown=1
}

count() { [ "$1" = 1 ] && echo "1 $2" || echo "$1 $2s"; }
human() {  # bytes as people read them
	awk -v b="$1" 'BEGIN { split("B KB MB GB TB", u, " "); i = 1
	    while (b >= 1000 && i < 5) { b /= 1000; i++ }
	    printf(i == 1 ? "%d %s" : "%.1f %s", b, u[i]) }'
}

show() { [ "$1" = : ] && echo "this machine (:)" || printf '%s\n' "$1"; }
host_index() {  # host_index NAME: the index of the line parallel names so
	local i
	for i in "${!H_NAME[@]}"; do
		[ "${H_NAME[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

# ---------------------------------------------------------------------
# Rounds: each runs the pending jobs through parallel on the hosts each
# job has not failed on (hostgroups), and the hosts not lost; a job that
# failed goes to the next round; a round follows parallel's joblog and
# installs each job as it ends.
declare -A STATE FAILED_ON LASTWHY

# The sshloginfile of a round: the hosts not lost, each in a hostgroup of
# its own. parallel reads it again when its mtime moves by more than a
# second: a host lost in a round gets no more jobs in it.
slf_write() {
	local i t=
	[ -f "$STAGE/slf" ] && t=$(stat -c %Y "$STAGE/slf")
	for i in "${!H_LINE[@]}"; do
		[ -n "${H_OK[$i]}" ] && [ -z "${H_LOST[$i]}" ] || continue
		printf '@medusa%s%s/%s/%s\n' "$i" "${H_GROUPS[$i]:++${H_GROUPS[$i]}}" "${H_N[$i]}" "${H_LINE[$i]}"
	done > "$STAGE/slf.new" && mv -f "$STAGE/slf.new" "$STAGE/slf"
	[ -n "$t" ] && touch -m -d "@$((t + 2))" "$STAGE/slf"
}

rounds() {
	local round=0 J i groups input line progressed
	for J in $(seq "$njobs"); do STATE[$J]=pending FAILED_ON[$J]=; done
	while :; do
		round=$((round + 1))
		input=
		for J in $(seq "$njobs"); do
			[ "${STATE[$J]}" = pending ] || continue
			groups=
			for i in "${!H_LINE[@]}"; do
				[ -n "${H_OK[$i]}" ] && [ -z "${H_LOST[$i]}" ] || continue
				case " ${FAILED_ON[$J]} " in *" $i "*) continue ;; esac
				groups="$groups${groups:++}medusa$i"
			done
			if [ -z "$groups" ]; then
				STATE[$J]=failed
				continue
			fi
			input="$input$J@$groups"$'\n'
		done
		[ -n "$input" ] || break
		slf_write
		local res=$STAGE/res.$round jl=$STAGE/joblog.$round
		mkdir -p -- "$res"
		printf '%s' "$input" > "$STAGE/input.$round"
		(cd "$STAGE" && exec parallel --hostgroups --slf "$STAGE/slf" --joblog "$jl" --files \
		    --results "$res/{}" --transferfile "$jobs_dir/$run-{}" \
		    "sh $jobs_dir/$run-{}/job.sh $jobs_dir/$run-{}" < "$STAGE/input.$round") \
		    > /dev/null 2> "$STAGE/parallel.err" &
		ppid_parallel=$!
		progressed=
		while IFS=$'\t' read -r seq host start rt send recv ex sig cmd; do
			case $seq in '' | *[!0-9]*) continue ;; esac  # the header
			J=${cmd##*-}
			progressed=1
			job_end "$J" "$host" "$ex" "$sig" "$res/$J" "$rt"
		done < <(tail -n +2 --pid="$ppid_parallel" -F "$jl" 2>/dev/null)
		wait "$ppid_parallel"
		ppid_parallel=
		if [ -z "$progressed" ]; then
			# parallel ended without running anything: say why, stop
			line=$(grep -v '^parallel: Warning' "$STAGE/parallel.err" | tail -n 1)
			for J in $(seq "$njobs"); do
				[ "${STATE[$J]}" = pending ] && STATE[$J]=failed LASTWHY[$J]="parallel ran nothing${line:+: $line}"
			done
			break
		fi
	done
}

job_end() {
	local J=$1 host=$2 ex=$3 sig=$4 res=$5 rt=$6 i why n
	[ "${STATE[$J]:-}" = pending ] || return 0
	i=$(host_index "$host")
	n=${JN[$J]}
	if [ "$ex" = 0 ] && [ "$sig" = 0 ]; then
		if install_job "$J" "$res" "$host"; then
			STATE[$J]=done
			HJ[$host]=$(( ${HJ[$host]:-0} + 1 ))
			HC[$host]=$(( ${HC[$host]:-0} + n ))
			HS[$host]=$(( ${HS[$host]:-0} + JSIZE[J] ))
			HB[$host]=$(( ${HB[$host]:-0} + $(stat -c %s -- "$res") ))
			jobs_done=$((jobs_done + 1))
			clips_done=$((clips_done + n))
			failed_clips=$((failed_clips + clips_failed_here))
			rm -f -- "$res" "$res.err" "$res.seq"
			progress
			return 0
		fi
		why=$(cat "$STAGE/why")
	elif [ "$ex" = 255 ]; then
		why=$(grep -v '^$' "$res.err" 2>/dev/null | tail -n 1)
		why="lost the connection (${why:-ssh exit 255})"
		if [ "$i" -ge 0 ] && [ -z "${H_LOST[$i]}" ]; then
			H_LOST[$i]=1
			slf_write
			say "host $(show "$host"): lost: $why; its jobs go to the other hosts"
		fi
	elif [ "$sig" != 0 ]; then
		why="killed (signal $sig)"
	else
		why=$(grep -v '^$' "$res.err" 2>/dev/null | tail -n 1)
		why=${why:-exit $ex}
	fi
	HF[$host]=$(( ${HF[$host]:-0} + 1 ))
	HWHY[$host]=$why
	LASTWHY[$J]="$(show "$host"): $why"
	[ "$i" -ge 0 ] && FAILED_ON[$J]="${FAILED_ON[$J]} $i"
	rm -rf -- "$res" "$res.err" "$res.seq" "$STAGE/ret/$J"
	progress
}

# ---------------------------------------------------------------------
# The plan (-p): the jobs in the order parallel takes them, each to the
# job slot that frees first if every clip took the same time, and the
# bytes to send.
print_plan() {
	local i slots=0
	for i in "${!H_LINE[@]}"; do [ -n "${H_OK[$i]}" ] && slots=$((slots + H_N[$i])); done
	printf 'plan: %d videos (%d clips) to convert on %d job slots, %s to send; %d clips already converted\n' \
	    "$njobs" "$(awk -F'\t' '{n += $3} END {print n + 0}' "$STAGE/jobs.tsv")" "$slots" \
	    "$(human "$(awk -F'\t' '{n += $2} END {printf "%d", n}' "$STAGE/jobs.tsv")")" \
	    "$(wc -l < "$STAGE/done")"
	for i in "${!H_LINE[@]}"; do
		if [ -n "${H_OK[$i]}" ]; then printf '%s\t%s\n' "${H_N[$i]}" "$(show "${H_NAME[$i]}")"
		else printf '0\t%s\t%s\n' "$(show "${H_NAME[$i]}")" "${H_WHY[$i]}"; fi
	done > "$STAGE/plan.hosts"
	awk -F'\t' '
	function count(n, w) { return n == 1 ? "1 " w : n " " w "s" }
	function human(b,  i) { i = 1; while (b >= 1000 && i < 5) { b /= 1000; i++ }
	    return sprintf(i == 1 ? "%d %s" : "%.1f %s", b, u[i]) }
	BEGIN { split("B KB MB GB TB", u, " "); n = 0 }
	FNR == NR { name[++nh] = $2; why[nh] = $3
	    for (s = 0; s < $1; s++) { slot[n] = $2; busy[n] = 0; n++ }; next }
	{ best = 0; for (s = 1; s < n; s++) if (busy[s] < busy[best]) best = s
	  busy[best] += $3; h = slot[best]; hv[h]++; hc[h] += $3; hb[h] += $2
	  line[++nj] = sprintf("%s\t%s\t%s\t%s", h, count($3, "clip"), human($2), $4) }
	END { for (i = 1; i <= nh; i++) {
	        h = name[i]
	        if (why[i] != "") printf "host %s: not used: %s\n", h, why[i]
	        else printf "host %s: %s, %s, %s to send\n", h, count(hv[h] + 0, "video"), count(hc[h] + 0, "clip"), human(hb[h]) }
	      if (nj) print "host\tclips\tto send\tvideo"
	      for (i = 1; i <= nj; i++) print line[i] }' "$STAGE/plan.hosts" "$STAGE/jobs.tsv"
}

# ---------------------------------------------------------------------
summary() {
	local i n J rc=0
	for J in $(seq "$njobs"); do
		[ "${STATE[$J]}" = done ] && continue
		jq -c --arg e "not converted: ${LASTWHY[$J]:-no host could take it}" '{video, clip, error: $e}' \
		    "$STAGE/orig/$J.ndjson" | emit
		say "$(jq -n -j 'input.video' "$STAGE/orig/$J.ndjson"): $(wc -l < "$STAGE/orig/$J.ndjson") clips not converted: ${LASTWHY[$J]:-no host could take it}"
		failed_clips=$((failed_clips + $(wc -l < "$STAGE/orig/$J.ndjson")))
	done
	emit < "$STAGE/summary.ndjson"
	progress_clear
	[ "$failed_clips" -gt 0 ] && rc=1
	if [ -n "$checked" ] && { [ -z "$quiet" ] || [ "$rc" -ne 0 ] || [ -n "${HF[*]:-}" ]; }; then
		for i in "${!H_LINE[@]}"; do
			n=${H_NAME[$i]}
			[ -n "${H_OK[$i]}" ] || { say "host $(show "$n"): not used: ${H_WHY[$i]}"; continue; }
			say "host $(show "$n"): $(count "${HJ[$n]:-0}" video) ($(count "${HC[$n]:-0}" clip)), $(human "${HS[$n]:-0}") sent, $(human "${HB[$n]:-0}") back${HF[$n]:+; $(count "${HF[$n]}" job) failed there (last: ${HWHY[$n]})}${H_LOST[$i]:+; lost}"
		done
	fi
	return "$rc"
}

# ---------------------------------------------------------------------
# Nothing goes to a host before it passed the canary, and no host is
# asked anything when every clip is converted already.
hosts_read
job_script > "$STAGE/job.sh"
if [ -n "$plan" ]; then
	records_read > /dev/null
	ledger_done
	jobs_make > /dev/null
	hosts_check
	print_plan
	exit 0
fi
records_read
ledger_done
jobs_make
if [ "$njobs" -gt 0 ]; then
	hosts_check
	any=
	for i in "${!H_OK[@]}"; do [ -n "${H_OK[$i]}" ] && any=1; done
	if [ -z "$any" ]; then
		say "no host can convert (see above): $njobs videos not converted"
		for J in $(seq "$njobs"); do STATE[$J]=failed LASTWHY[$J]="no host can convert"; done
		summary
		exit 2
	fi
	rounds
elif [ -z "$quiet" ]; then
	say "every clip is converted already: nothing for the hosts"
fi
summary
