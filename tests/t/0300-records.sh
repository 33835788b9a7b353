# 0300-records.sh: rendition records for the publish tests, made the way
# medusa-cut makes them (HACKING.md) but with small files of plain bytes.
# Sourced after tests/lib.sh.

# b2: BLAKE2b-256 of a file, as medusa records it.
b2() { b2sum -l 256 "$1" | cut -d' ' -f1; }

# mkrec WORK CLIP VIDEO START END [TAGS-JSON] [SALT]: makes WORK/CLIP/VER/360p.mp4
# and poster.jpg (their bytes depend on SALT) and prints the clip record.
mkrec() {
	_w=$1 _c=$2 _v=$3 _s=$4 _e=$5 _t=${6:-'{"kind":"other"}'} _salt=${7:-}
	_ver=$(printf '%s %s %s %s' "$_c" "$_s" "$_e" "$_salt" | b2sum -l 64 | cut -c1-16)
	mkdir -p "$_w/$_c/$_ver"
	printf 'mp4 of %s %s\n' "$_c" "$_salt" > "$_w/$_c/$_ver/360p.mp4"
	printf 'jpg of %s %s\n' "$_c" "$_salt" > "$_w/$_c/$_ver/poster.jpg"
	_r=
	for _p in 360p:mp4:video:video/mp4 poster:jpg:image:image/jpeg; do
		IFS=: read -r _pn _x _k _m <<-E
		$_p
		E
		_f=$_w/$_c/$_ver/$_pn.$_x
		_r="$_r${_r:+,}{\"profile\":\"$_pn\",\"kind\":\"$_k\",\"file\":\"$_f\",\"version\":\"$_ver\",\"key\":\"clips/$_c/$_ver/$_pn.$_x\",\"bytes\":$(wc -c < "$_f"),\"hash\":\"$(b2 "$_f")\",\"mime\":\"$_m\",\"width\":160,\"height\":120,\"duration\":1.5}"
	done
	printf '{"path":"%s","size":1000,"mtime":1700000000,"video":"%s","clip":"%s","start":%s,"end":%s,"tags":%s,"renditions":[%s]}\n' \
	    "$_v" "$_v" "$_c" "$_s" "$_e" "$_t" "$_r"
}

summary() { printf '{"summary":{"complete":true,"videos":%d,"errors":0}}\n' "${1:-1}"; }

# gen_of METASTORE: the generation number
gen_of() { sqlite3 "$1" "SELECT value FROM meta WHERE key = 'generation'"; }
# tree DIR [FIND-TESTS]: every entry with its inode, size and mtime, to tell
# "nothing changed"
tree() { (_d=$1; shift; cd "$_d" && find . "$@" -printf '%p %i %s %T@\n' | sort); }
