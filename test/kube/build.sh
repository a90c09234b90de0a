#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and a test etcd from the Go modules pinned in test/kube/go.mod
# into <repo>/.cache/kube/<key>/ and points <repo>/.cache/kube/current at it.
# Idempotent: when the binaries for the current key exist it only prints the directory.
# The last line on stdout is always the binary directory; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="$repo/.cache/kube"
export GOTOOLCHAIN=local CGO_ENABLED=0

# Prints the k8s.io/kubernetes version required by go.mod, e.g. v1.37.2.
kube_version() {
	awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod"
}

# Prints the cache key: kube version plus a hash of everything that shapes the binaries.
cache_key() {
	local hash
	hash="$(
		{
			cat "$here/go.mod" "$here/go.sum" "$here/etcd/main.go"
			go version
			go env GOOS GOARCH
		} | sha256sum | cut -c1-12
	)"
	printf '%s-%s\n' "$1" "$hash"
}

# Succeeds when directory $1 holds every binary.
has_binaries() {
	[[ -x "$1/kube-apiserver" && -x "$1/kubectl" && -x "$1/etcd" ]]
}

# Points the "current" symlink at the key directory, atomically.
link_current() {
	ln -sfn "$1" "$cache/.current.$$"
	mv -T "$cache/.current.$$" "$cache/current"
}

# Builds every binary into directory $1.
build_into() {
	local out="$1" version="$2" minor="${2#v1.}"
	minor="${minor%%.*}"
	local pkg=k8s.io/component-base/version
	local ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	cd "$here"
	echo "build.sh: building kube-apiserver $version (takes minutes on a cold Go cache)" >&2
	go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
	# kubectl (with its built-in kustomize) renders and applies deploy/ in the deploy tests; a fresh CI machine has none.
	echo "build.sh: building kubectl $version" >&2
	go build -trimpath -ldflags "$ldflags" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl
	echo "build.sh: building etcd" >&2
	go build -trimpath -ldflags "-s -w" -o "$out/etcd" ./etcd
}

main() {
	command -v go >/dev/null || { echo "build.sh: go not found on PATH; install Go $(awk '$1 == "go" { print $2 }' "$here/go.mod") or newer" >&2; exit 1; }
	local version key dir
	version="$(kube_version)"
	[[ -n "$version" ]] || { echo "build.sh: no k8s.io/kubernetes requirement in $here/go.mod" >&2; exit 1; }
	key="$(cache_key "$version")"
	dir="$cache/$key"
	mkdir -p "$cache"

	if ! has_binaries "$dir"; then
		rm -rf "$dir" # a partial leftover would block the rename below
		tmp="$(mktemp -d "$cache/.build.XXXXXX")"
		chmod 755 "$tmp"
		trap 'rm -rf "${tmp:-}"' EXIT
		local start=$SECONDS
		build_into "$tmp" "$version"
		# mv -T refuses to replace a non-empty directory: losing the race to a concurrent build is fine.
		if ! mv -T "$tmp" "$dir" 2>/dev/null && ! has_binaries "$dir"; then
			echo "build.sh: cannot move the build from $tmp to $dir" >&2
			exit 1
		fi
		echo "build.sh: built $key in $((SECONDS - start))s" >&2
	fi
	link_current "$key"
	echo "$dir"
}

main "$@"
