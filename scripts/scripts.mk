# scripts/: deps.sh (Debian packages), fr-headers.sh (FreeRADIUS headers),
# pglib.sh (local PostgreSQL clusters), run.sh (make run), lint.sh (make lint).
