#!/bin/sh
# Installs (or removes) the workspace's git pre-commit hook, which runs the format check and the
# lint of the projects a commit touches before git records it.
#
#   tools/workspace/install-hooks.sh              install, or update a hook this script installed
#   tools/workspace/install-hooks.sh --force      also replace a hook from elsewhere (kept as
#                                                 pre-commit.local-backup, put back on --uninstall)
#   tools/workspace/install-hooks.sh --uninstall  remove the hook this script installed
#
# The hook goes where git looks for hooks (`git rev-parse --git-path hooks`, so core.hooksPath and
# worktrees are honoured). Running the script again gives the same hook. Skip the hook for one
# commit with `git commit --no-verify`.
set -eu

MARKER='# installed by tools/workspace/install-hooks.sh'

usage() {
  sed -n '2,12s/^# \{0,1\}//p' "$0"
}

mode=install
force=no
for arg in "$@"; do
  case "$arg" in
    --uninstall) mode=uninstall ;;
    --force) force=yes ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "install-hooks: unknown option: $arg" >&2
      usage >&2
      exit 2
      ;;
  esac
done

top=$(git rev-parse --show-toplevel 2>/dev/null) || {
  echo 'install-hooks: not inside a git work tree' >&2
  exit 1
}
cd "$top"
hooks=$(git rev-parse --git-path hooks)
hook="$hooks/pre-commit"
backup="$hooks/pre-commit.local-backup"

ours() {
  [ -f "$1" ] && grep -qF "$MARKER" "$1"
}

write_hook() {
  tmp="$hook.tmp.$$"
  cat >"$tmp" <<EOF
#!/bin/sh
$MARKER
# Format check, then lint of the projects changed since HEAD (staged and unstaged changes).
# Skip once with: git commit --no-verify. Remove with: tools/workspace/install-hooks.sh --uninstall
set -eu
cd "\$(git rev-parse --show-toplevel)"
export NX_TUI=false
echo 'pre-commit: npx nx format:check' >&2
npx nx format:check || {
  echo 'pre-commit: formatting problems; run "npx nx format:write", stage, commit again' >&2
  exit 1
}
echo 'pre-commit: npx nx affected -t lint --base=HEAD' >&2
npx nx affected -t lint --base=HEAD || {
  echo 'pre-commit: lint failed; fix the findings above, stage, commit again' >&2
  exit 1
}
EOF
  chmod 755 "$tmp"
  mv -f "$tmp" "$hook"
}

if [ "$mode" = uninstall ]; then
  if [ ! -e "$hook" ]; then
    echo "install-hooks: no pre-commit hook in $hooks; nothing to do"
    exit 0
  fi
  if ! ours "$hook"; then
    echo "install-hooks: $hook was not installed by this script; leaving it alone" >&2
    exit 1
  fi
  rm -f "$hook"
  if [ -f "$backup" ]; then
    mv -f "$backup" "$hook"
    echo "install-hooks: removed the hook and put back the previous one from $backup"
  else
    echo "install-hooks: removed $hook"
  fi
  exit 0
fi

mkdir -p "$hooks"
if [ -e "$hook" ] && ! ours "$hook"; then
  if [ "$force" != yes ]; then
    echo "install-hooks: $hook exists and was not installed by this script." >&2
    echo 'install-hooks: run again with --force to replace it (it is kept as pre-commit.local-backup).' >&2
    exit 1
  fi
  if [ -e "$backup" ]; then
    echo "install-hooks: $backup already exists; move it away first" >&2
    exit 1
  fi
  mv "$hook" "$backup"
  echo "install-hooks: kept the previous hook as $backup"
fi
write_hook
echo "install-hooks: installed $hook (format:check, affected lint)"
