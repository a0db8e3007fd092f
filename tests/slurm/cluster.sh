#!/usr/bin/env bash
# A real one-node SLURM cluster on this machine, for tests and CI:
#   tests/slurm/cluster.sh start   # prints `export SLURM_CONF=...`; idempotent
#   tests/slurm/cluster.sh stop    # stops the daemons it started, by their PID files
#   tests/slurm/cluster.sh status
# Needs root (slurmd runs jobs as their owner) and the Debian packages slurm-wlm and munge
# (`apt-get install -y slurm-wlm munge`; .ci/run installs them). No systemd: munged, slurmctld and
# slurmd are started directly. Everything lives in $AUGEVAL_SLURM_DIR (default
# /tmp/augeval-slurm): slurm.conf, state, spool, logs and PID files. /etc/slurm/slurm.conf is
# a symlink to that slurm.conf while the cluster runs: the Snakemake plugin's nested `srun` drops
# SLURM_CONF from its environment, so the clients must find the config at the default path. A
# machine that already has its own /etc/slurm/slurm.conf is refused (this is for CI and
# throw-away machines).
#
# Job status without a database: AccountingStorageType=accounting_storage/none, so `sacct` has
# nothing to report; the Snakemake plugin is told to poll with `squeue` instead
# (slurm-status-command: squeue), which it honours only when MinJobAge >= 3 x its
# init-seconds-before-status-checks. MinJobAge=600 keeps finished jobs (and their final state)
# visible to squeue for 10 minutes, far longer than any poll interval.
set -euo pipefail

DIR=${AUGEVAL_SLURM_DIR:-/tmp/augeval-slurm}
CONF=$DIR/slurm.conf
MUNGE_PID=$DIR/munge/munged.pid  # in the munge-owned folder: munged writes it as munge
MUNGE_SOCKET=$DIR/munge/munge.socket
CLUSTER=augeval
SYSTEM_CONF=/etc/slurm/slurm.conf

die() { echo "cluster.sh: $*" >&2; exit 1; }

need_tools() {
    for tool in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
        command -v "$tool" > /dev/null || die "$tool not found: apt-get install -y slurm-wlm munge"
    done
    [ "$(id -u)" = 0 ] || die "must run as root (slurmd starts jobs as their owner)"
}

write_conf() {
    local node mem cpus
    node=$(slurmd -C | head -n 1)
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<< "$node")
    cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<< "$node")
    node=$(sed "s/RealMemory=$mem/RealMemory=$((mem * 9 / 10))/" <<< "$node")
    cat > "$CONF" << CONF
# Written by tests/slurm/cluster.sh: one node, no accounting, no cgroups.
ClusterName=$CLUSTER
SlurmctldHost=$(hostname -s)
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MinJobAge=600
SchedulerType=sched/backfill
SlurmctldPort=${AUGEVAL_SLURMCTLD_PORT:-6817}
SlurmdPort=${AUGEVAL_SLURMD_PORT:-6818}
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
$node
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    echo "one node: $cpus CPUs, $((mem * 9 / 10)) MB" >&2
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2> /dev/null; }

start() {
    export SLURM_CONF=$CONF
    if [ -s "$CONF" ] && scontrol ping 2> /dev/null | grep -q UP; then
        echo "export SLURM_CONF=$CONF"   # already running (e.g. started by .ci/run)
        return
    fi
    need_tools
    local t0=$SECONDS
    if [ -e "$SYSTEM_CONF" ] && [ "$(readlink "$SYSTEM_CONF")" != "$CONF" ]; then
        die "$SYSTEM_CONF exists and is not this test cluster's; refusing to replace it"
    fi
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge" "$(dirname "$SYSTEM_CONF")"
    chown munge:munge "$DIR/munge"
    write_conf
    ln -sfn "$CONF" "$SYSTEM_CONF"
    if ! alive "$MUNGE_PID"; then
        # munged refuses group/world-writable parents of its socket; /tmp is sticky, that is fine.
        runuser -u munge -- munged --socket="$MUNGE_SOCKET" --pid-file="$MUNGE_PID" \
            --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" --force
        for _ in $(seq 50); do [ -s "$MUNGE_PID" ] && break; sleep 0.1; done
    fi
    slurmctld -c -f "$CONF"   # -c: a clean start, no jobs left from an earlier run
    slurmd -f "$CONF"
    for _ in $(seq 150); do
        state=$(sinfo -h -o %T 2> /dev/null || true)
        [ "$state" = idle ] && break
        sleep 0.2
    done
    [ "$state" = idle ] || die "node not idle after 30 s (state '$state'); see $DIR/*.log"
    echo "SLURM up in $((SECONDS - t0)) s (node idle); config $CONF" >&2
    echo "export SLURM_CONF=$CONF"
}

stop_pid() {
    local file=$1 pid
    alive "$file" || { rm -f "$file"; return 0; }
    pid=$(cat "$file")
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2> /dev/null && kill -9 "$pid"
    rm -f "$file"
}

stop() {
    stop_pid "$DIR/slurmd.pid"
    stop_pid "$DIR/slurmctld.pid"
    stop_pid "$MUNGE_PID"
    if [ "$(readlink "$SYSTEM_CONF")" = "$CONF" ]; then rm -f "$SYSTEM_CONF"; fi
    echo "SLURM stopped ($DIR)" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status)
        export SLURM_CONF=$CONF
        alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid" && sinfo ;;
    *) die "usage: $0 start|stop|status" ;;
esac
