#!/usr/bin/env bash
# Why the parameter server takes messages rather than one-sided window operations: both ways timed
# on one machine (shared memory) and, as root, between two network namespaces joined by veth
# (Open MPI's TCP transport, as between machines), with Open MPI's defaults and with the eager
# sizes a3c sets for itself. Prints round trips per second of a 647,203-float gradient and answer.
#   benchmarks/distributed/window-vs-messages.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-8}
floats=647203
work=$(mktemp -d)
hosts=(a3cwvm$$a a3cwvm$$b)
cleanup() {
    ip netns del "${hosts[0]}" 2>/dev/null || true
    ip netns del "${hosts[1]}" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mpicc -O2 -o "$work/window-vs-messages" benchmarks/distributed/window-vs-messages.c
mpirun=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)

echo "# $(date -u +%F), CPU: $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), $(nproc) cores; $(mpirun --version | head -1)"
echo "## one machine (shared memory)"
for ranks in 2 3; do "${mpirun[@]}" -np $ranks "$work/window-vs-messages" $floats "$seconds"; done

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
    echo "## two hosts: skipped (needs root and ip)"
    exit 0
fi
a=${hosts[0]} b=${hosts[1]}
ip netns add "$a"; ip netns add "$b"
ip link add "${a}v" type veth peer name "${b}v"
ip link set "${a}v" netns "$a"; ip link set "${b}v" netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev "${a}v"; ip -n "$b" addr add 10.77.0.2/24 dev "${b}v"
for host in "$a" "$b"; do ip -n "$host" link set "${host}v" up; ip -n "$host" link set lo up; done
# mpirun starts its daemon on the second host through this instead of ssh.
cat > "$work/agent" <<EOF
#!/bin/sh
shift
A3C_REMOTE_COMMAND="\$*" exec ip netns exec $b unshare --uts sh -c 'hostname $b && exec sh -c "\$A3C_REMOTE_COMMAND"'
EOF
chmod +x "$work/agent"
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' > "$work/hosts"
between() {
    ip netns exec "$a" unshare --uts sh -c "hostname $a && exec \"\$@\"" sh \
        env "$@" mpirun --allow-run-as-root --mca plm_rsh_agent "$work/agent" --hostfile "$work/hosts" -np 2 \
        "$work/window-vs-messages" $floats "$seconds"
}
echo "## two hosts over TCP (veth between network namespaces), Open MPI's defaults"
between A3C_BENCH=defaults
echo "## two hosts over TCP, messages up to 4 MB sent eagerly (what a3c sets unless told otherwise)"
between OMPI_MCA_btl_tcp_eager_limit=4194304 OMPI_MCA_btl_tcp_rndv_eager_limit=4194304 OMPI_MCA_btl_tcp_max_send_size=4194304
python3 - <<'PY'
import socket, threading, time
n, seconds = 2_588_812, 4
print(f"## for scale: plain TCP on loopback, {n:,} bytes each way, no MPI")
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
def echo():
    connection, _ = server.accept(); buffer = bytearray(n)
    while True:
        view, got = memoryview(buffer), 0
        while got < n:
            k = connection.recv_into(view[got:])
            if k == 0: return
            got += k
        connection.sendall(buffer)
threading.Thread(target=echo, daemon=True).start()
client = socket.create_connection(server.getsockname()); buffer = bytearray(n); rounds = 0; start = time.time()
while time.time() - start < seconds:
    client.sendall(buffer); view, got = memoryview(buffer), 0
    while got < n: got += client.recv_into(view[got:])
    rounds += 1
print(f"{rounds / (time.time() - start):.0f} round trips/s")
PY
