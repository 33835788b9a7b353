# bash completion for the medusa tools (medusa(7)): options, subcommands,
# profiles and tags of the backyard, tag values, clip ids, and video paths
# relative to the backyard root (as the tools take them).
# Installed as .../bash-completion/completions/medusa, with a link for each
# tool. Needs only bash; jq reads the profiles. A new option of a tool is a
# word in _medusa_opts (and a line in _medusa_arg when it takes a value of
# its own kind).

# The options of each tool; those followed by ':' take a value.
declare -A _medusa_opts=(
	[medusa-scan]='p C:'
	[medusa-meta]='C: d e: c:'
	[medusa-tags]='C:'
	[medusa-cut]='q v C: j: p: w: o:'
	[medusa-publish]='f p q E b: C: s: m: u: W:'
	[medusa-recache]='n g: C: k: G: t: r: T:'
	[medusa-reconcile]='f n q C: s: m: u: r: j:'
	[medusa-serve]='C: w: a: m: s: c: k: u: r: b: i: t:'
	[medusa-store]='s: j: m:'
	[medusa-sync]='a f n q C: m: s: t: r: k: j:'
)
declare -A _medusa_subcommands=(
	[medusa-meta]='get set add rm tag untag clips init'
	[medusa-tags]='list check'
	[medusa-serve]='backyard frontyard'
	[medusa-store]='put get stat ls rm keys snapshot fetch'
)

# The backyard root as the tools find it: from the -C on the line, else
# $MEDUSA_BACKYARD, else the working directory, walking up to the folder
# with backyard.medusa.json. Prints nothing when there is none.
_medusa_root() {
	local i d=
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -C ]] && d=${COMP_WORDS[i + 1]}
	done
	d=${d/#\~/$HOME}
	d=${d:-${MEDUSA_BACKYARD:-$PWD}}
	[[ $d == /* ]] || d=$PWD/$d
	while [[ ! -f $d/backyard.medusa.json ]]; do
		[[ -z $d || $d == / ]] && return 1
		d=${d%/*}
	done
	printf '%s\n' "${d:-/}"
}

# The words one line of output of a command gives, into COMPREPLY.
_medusa_words() {
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_medusa_profiles() {
	local root
	root=$(_medusa_root) || return
	jq -r '.profiles // {} | keys[]' "$root/backyard.medusa.json" 2>/dev/null
}

# "name=" for every tag, or the values of an enum or boolean after "name=".
_medusa_tags() {
	local root cur=$1 tool=$2
	root=$(_medusa_root) || return
	if [[ $cur == *=* ]]; then
		"$tool" -C "$root" 2>/dev/null | jq -r --arg n "${cur%%=*}" \
		    'select(.name == $n) | if .type == "boolean" then "true", "false"
		     else (.values // [])[] end | "\($n)=\(.)"' 2>/dev/null
	else
		"$tool" -C "$root" 2>/dev/null | jq -r '.name + "="' 2>/dev/null
	fi
}

# Video paths and folders below the backyard root, relative to it: the
# tools take paths relative to the root wherever they run.
_medusa_paths() {
	local root cur=$1 f rel
	root=$(_medusa_root) || return
	compopt -o nospace 2>/dev/null
	for f in "$root/$cur"*; do
		[[ -e $f ]] || continue
		rel=${f#"$root"/}
		case ${rel##*/} in .* | *.medusa.json) continue ;; esac
		if [[ -d $f ]]; then
			printf '%q/\n' "$rel"
		else
			printf '%q \n' "$rel"
		fi
	done
}

# The clip ids of the video named on the line.
_medusa_clips() {
	local root=$(_medusa_root) path=$1
	[[ -n $root && -n $path ]] || return
	medusa-meta -C "$root" get "$path" 2>/dev/null | jq -r '.meta.clips[]?.id // empty' 2>/dev/null
}

# Completes the value of option $1 of tool $2; 1 when it is not one of
# medusa's own kinds (then files are offered).
_medusa_arg() {
	local opt=$1 tool=$2 cur=$3
	case $tool:$opt in
	*:-C) compopt -o nospace 2>/dev/null; COMPREPLY=($(compgen -d -S / -- "$cur")) ;;
	medusa-cut:-p) _medusa_words "$(_medusa_profiles)" "${cur##*,}"
		[[ $cur == *,* ]] && COMPREPLY=("${COMPREPLY[@]/#/${cur%,*},}") ;;
	medusa-cut:-j | medusa-reconcile:-j | medusa-sync:-j | medusa-store:-j) COMPREPLY=($(compgen -W '1 2 4 8' -- "$cur")) ;;
	medusa-meta:-c) _medusa_words "$(_medusa_clips "$(_medusa_path_word)")" "$cur" ;;
	*) return 1 ;;
	esac
	return 0
}

# The first word after the medusa-meta subcommand that is not an option.
_medusa_path_word() {
	local i seen=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-C | -e | -c) ((i++)) ;;
		-*) ;;
		*) [[ -n $seen ]] && { printf '%s\n' "${COMP_WORDS[i]}"; return; }; seen=1 ;;
		esac
	done
}

_medusa() {
	local tool=${1##*/} cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local opts=${_medusa_opts[$tool]} o i args=() IFS=$' \t\n'
	COMPREPLY=()
	# the value of an option that takes one
	if [[ $prev == -? && " $opts " == *" ${prev#-}: "* ]]; then
		_medusa_arg "$prev" "$tool" "$cur" || COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		for o in $opts; do args+=("-${o%:}"); done
		COMPREPLY=($(compgen -W "${args[*]}" -- "$cur"))
		return
	fi
	# the words before this one that are not options or their values
	args=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-?) [[ " $opts " == *" ${COMP_WORDS[i]#-}: "* ]] && ((i++)) ;;
		-*) ;;
		*) args+=("${COMP_WORDS[i]}") ;;
		esac
	done
	local sub=${_medusa_subcommands[$tool]}
	if [[ -n $sub && ${#args[@]} -eq 0 ]]; then
		COMPREPLY=($(compgen -W "$sub" -- "$cur"))
		return
	fi
	case $tool:${args[0]:-}:${#args[@]} in
	medusa-meta:get:1 | medusa-meta:set:1 | medusa-meta:add:1 | medusa-meta:rm:1 | \
	medusa-meta:tag:1 | medusa-meta:untag:1 | medusa-cut::0)
		_medusa_words "$(_medusa_paths "$cur")" "$cur" ;;
	medusa-meta:rm:2) _medusa_words "$(_medusa_clips "${args[1]}")" "$cur" ;;
	medusa-meta:add:[4-9] | medusa-meta:add:[1-9][0-9] | medusa-meta:tag:*)
		compopt -o nospace 2>/dev/null
		_medusa_words "$(_medusa_tags "$cur" medusa-tags)" "$cur"
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} != *= ]] && COMPREPLY[0]+=' ' ;;
	medusa-meta:untag:*)
		_medusa_words "$(_medusa_tags "" medusa-tags | sed 's/=$//')" "$cur" ;;
	medusa-meta:init:1) COMPREPLY=($(compgen -d -- "$cur")) ;;
	*) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

complete -F _medusa medusa-scan medusa-meta medusa-tags medusa-cut medusa-publish \
    medusa-recache medusa-reconcile medusa-serve medusa-store medusa-sync
