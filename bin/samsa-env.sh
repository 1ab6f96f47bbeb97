# samsa-env.sh: shared settings for the Samsa bin/ scripts, in the role of
# Kafka's kafka-run-class.sh. Sourced, never run. Works from an in-tree build
# (binaries beside the sources), from out-of-tree (VPATH) builds, which
# point SAMSA_BUILD_DIR at the build directory, and installed (`make
# install`), where the programs sit beside the scripts in $(bindir).
#
# Sets:  SAMSA_BASE       the directory holding bin/ and conf/
#        SAMSA_BUILD_DIR  where src/samsa-server and tools/* were built
#        SAMSA_CONF_DIR   the shipped default configs (conf/, or
#                         $(sysconfdir)/samsa when installed)
#        LOG_DIR          where daemons write their logs (created on demand)
# Defines: samsa_binary NAME REL  -> prints the path of a built program
#          samsa_die MSG          -> message on stderr, exit 1

# `make install` replaces the empty values below with the installed layout
# (tools/install.am); in the source tree they stay empty. Installed programs
# are looked up beside this script rather than at the configured bindir, so
# a DESTDIR staging tree runs its own programs too.
SAMSA_INSTALLED=
SAMSA_INSTALLED_CONFDIR=
SAMSA_INSTALLED_LOGDIR=

SAMSA_BASE=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$SAMSA_INSTALLED" ]; then
	: "${SAMSA_CONF_DIR:=$SAMSA_INSTALLED_CONFDIR}"
	: "${LOG_DIR:=$SAMSA_INSTALLED_LOGDIR}"
else
	: "${SAMSA_BUILD_DIR:=$SAMSA_BASE}"
	: "${SAMSA_CONF_DIR:=$SAMSA_BASE/conf}"
	: "${LOG_DIR:=$SAMSA_BUILD_DIR/logs}"
fi
export SAMSA_BUILD_DIR SAMSA_CONF_DIR LOG_DIR

samsa_die() {
	echo "$*" >&2
	exit 1
}

# samsa_binary REL: REL is relative to the build directory (e.g.
# src/samsa-server). Libtool-free builds put the real program there, so an
# executable check is enough. Installed, the program is $(bindir)/NAME,
# unless SAMSA_BUILD_DIR is set explicitly to run a build's programs.
samsa_binary() {
	if [ -n "$SAMSA_INSTALLED" ] && [ -z "$SAMSA_BUILD_DIR" ]; then
		_sm_bin="$(cd "$(dirname "$0")" && pwd)/$(basename "$1")"
	else
		_sm_bin="$SAMSA_BUILD_DIR/$1"
	fi
	if [ ! -x "$_sm_bin" ]; then
		samsa_die "$(basename "$0"): $_sm_bin not found or not executable (build Samsa first, or set SAMSA_BUILD_DIR to the build directory)"
	fi
	printf '%s\n' "$_sm_bin"
}

# samsa_daemonize NAME CMD...: run CMD under nohup in the background with
# stdout and stderr in $LOG_DIR/NAME.out, like kafka-run-class.sh -daemon.
samsa_daemonize() {
	_sm_name=$1
	shift
	mkdir -p "$LOG_DIR" || samsa_die "cannot create LOG_DIR $LOG_DIR"
	nohup "$@" >"$LOG_DIR/$_sm_name.out" 2>&1 </dev/null &
}
