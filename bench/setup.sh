#!/usr/bin/env bash
# Installs what `npm run bench` uses, idempotently (Debian 12, run as root or with sudo):
#   postfix          smtp-source (load client) and smtpd (the comparison server), no system instance
#   libsisimai-perl  Sisimai 4.25, the classification peer
#   wrk              HTTP load for the pre-send check
#   time             GNU /usr/bin/time -v for peak RSS
# The packaged postfix service is left stopped: the bench runs its own private instance.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
command -v /usr/sbin/smtp-source >/dev/null 2>&1 || need+=(postfix)
perl -MSisimai -e1 >/dev/null 2>&1 || need+=(libsisimai-perl)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/bin/time ] || need+=(time)

if [ ${#need[@]} -eq 0 ]; then
  echo "bench/setup.sh: everything is installed"
else
  echo "bench/setup.sh: installing ${need[*]}"
  # Postfix's debconf would ask for a mail configuration type: say none.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The system-wide Postfix (if the package started one) is left alone: the bench runs its own
# private smtpd on a port in 2600-2699 with its own config and queue directories.

# better-sqlite3 and the rest come from the project's own package.json (npm ci).
echo "smtp-source: $(command -v /usr/sbin/smtp-source || echo missing)"
echo "sisimai: $(perl -MSisimai -e 'print $Sisimai::VERSION' 2>/dev/null || echo missing)"
echo "wrk: $(command -v wrk || echo missing)"
