#!/usr/bin/env bash
# One command sets up everything: the system packages the monitor needs (where
# this user may install them), a virtual environment in .venv, and the project
# with its sound and development extras.
set -euo pipefail
cd "$(dirname "$0")"

# ALSA headers for simpleaudio's build; the rest is for tests that play sound
# into a file (alsa-utils), open windows on a virtual screen (xvfb), render the
# HTML report (chromium) and trace system calls (strace).
# The desktop: GTK 3 and what PyGObject builds against (the tray icon),
# notify-send (libnotify-bin), and for the desktop tests a D-Bus session bus
# (dbus), a notification daemon (dunst), a tray (trayer), screenshots (imagemagick).
APT_PACKAGES="libasound2-dev alsa-utils libgl1 libglib2.0-0 xvfb xauth x11-utils x11-apps xdotool chromium strace \
  gir1.2-gtk-3.0 libgirepository1.0-dev libcairo2-dev pkg-config gcc python3-dev \
  libnotify-bin dbus dbus-x11 dunst trayer imagemagick"

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  if $SUDO true 2>/dev/null; then
    missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
    if [ -n "$missing" ]; then
      echo "setup: installing system packages: $missing"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
    fi
  else
    echo "setup: cannot install system packages without root; please install: $APT_PACKAGES" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
[ -d .venv ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# simpleaudio is optional at run time: if it cannot build, the monitor falls
# back to other players, so its failure does not stop the set-up.
.venv/bin/python -m pip install -q -e ".[dev,desktop]"
.venv/bin/python -m pip install -q -e ".[sound]" || echo "setup: simpleaudio did not install; sound will use a fallback player" >&2
# MediaPipe imports matplotlib, whose first import builds a font cache
# (seconds): build it now rather than during the first command.
.venv/bin/python -c "import matplotlib.font_manager"
echo "setup: done. Try: .venv/bin/posture-monitor --help"
