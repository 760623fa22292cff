# shellcheck shell=bash
# Debian packages wirespeed needs to build, test and demo; sourced by the
# scripts. Installs only what is missing, and never the recommends (the
# wireguard packages would pull in a kernel image). dpdk-dev carries
# dpdk-testpmd, which perf/memif_bench.py drives.
WS_PACKAGES=(
	gcc clang llvm libclang-rt-14-dev pkg-config meson ninja-build
	libdpdk-dev dpdk libipsec-mb-dev libsodium-dev libb2-dev libgmp-dev libjansson-dev libcunit1-dev
	wireguard-go wireguard-tools iproute2 iperf3 iputils-ping ethtool procps python3
	tcpdump jq dpdk-dev
)

ws_ensure_deps() {
	local missing=() p
	for p in "${WS_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "error: missing packages and not root: ${missing[*]}" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
}
