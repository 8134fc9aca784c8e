#!/usr/bin/env bash
# Installs the Debian packages that the tests need and that a fresh Debian 12
# machine may lack: kcat (the test broker's readiness check and a handy client),
# a Java 17 runtime and Maven (the real Kafka broker), python3-venv (the Avro
# checker in integration/python), python3-aiosmtpd (the SMTP server of the e-mail
# tests), postgresql (the audience table's server), chromium and chromium-driver
# (the console's browser test). Only missing tools are installed; run as root (or
# with sudo available).
set -euo pipefail

pkgs=()
command -v kcat >/dev/null || pkgs+=(kcat)
command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || pkgs+=(maven)
python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || pkgs+=(python3-aiosmtpd)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || pkgs+=(postgresql)
[[ -x /usr/bin/chromium ]] || pkgs+=(chromium)
command -v chromedriver >/dev/null || pkgs+=(chromium-driver)

if ((${#pkgs[@]} == 0)); then
	echo "ci-deps: nothing to install"
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || {
		echo "ci-deps: need root to install ${pkgs[*]}" >&2
		exit 1
	}
	sudo=(sudo)
fi

echo "ci-deps: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
