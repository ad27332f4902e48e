# fusioncell relay image: the `fusioncell` binary plus the example cell (config/) and its
# public development keys and certificates (certs-example/). For a real exercise, mount your
# own cell folder and run `fusioncell relay --config /cell/cell.toml` instead.
#
#   docker compose up --build        (see docker-compose.yml)

# --- build -------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when Cargo.lock or a manifest
# changes, not when a source file does. Cargo loads every workspace member, so each manifest
# is copied, with a stand-in source for each (one line per crate of `members = ["crates/*"]`).
COPY Cargo.toml Cargo.lock ./
COPY crates/bench/Cargo.toml crates/bench/
COPY crates/cell/Cargo.toml crates/cell/
COPY crates/cli/Cargo.toml crates/cli/
COPY crates/client/Cargo.toml crates/client/
COPY crates/exercise/Cargo.toml crates/exercise/
COPY crates/fuzz-harness/Cargo.toml crates/fuzz-harness/
COPY crates/journal/Cargo.toml crates/journal/
COPY crates/keys/Cargo.toml crates/keys/
COPY crates/merkle/Cargo.toml crates/merkle/
COPY crates/relay/Cargo.toml crates/relay/
COPY crates/report/Cargo.toml crates/report/
COPY crates/scenario/Cargo.toml crates/scenario/
COPY crates/wire/Cargo.toml crates/wire/
COPY tests/Cargo.toml tests/
# Cargo also wants the file of every declared [[bench]] to exist (it is not compiled here).
# --locked: exactly the versions of Cargo.lock. `dist` is `release`, stripped (Cargo.toml).
RUN for d in crates/*/; do \
      mkdir -p "$d/src" "$d/benches" && : > "$d/src/lib.rs"; \
      for b in $(awk '/^\[\[bench\]\]/{f=1;next} f&&/^name *=/{gsub(/[" ]/,"");sub(/^name=/,"");print;f=0}' "$d/Cargo.toml"); do \
        : > "$d/benches/$b.rs"; \
      done; \
    done \
    && echo 'fn main() {}' > crates/cli/src/main.rs \
    && : > tests/e2e.rs \
    && cargo build --profile dist --locked -p fusioncell

# Then the sources. COPY keeps the files' own (older) times, which cargo would take for
# "unchanged since the stand-ins were built": touch them so the real crates are rebuilt.
COPY . .
RUN find crates tests -name '*.rs' -exec touch {} + \
    && cargo build --profile dist --locked -p fusioncell

# --- run ---------------------------------------------------------------------------------
# Debian slim rather than distroless: the compose healthcheck needs bash (its /dev/tcp), and
# the binary links glibc. Nothing else is installed: no CA store (clients trust the cell's
# own CA), no OpenSSL (rustls with ring is linked in), no curl.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fusioncell
WORKDIR /app
COPY --from=build /src/target/dist/fusioncell /usr/local/bin/fusioncell
COPY --chown=10001:10001 config/ /app/config/
COPY --chown=10001:10001 certs-example/ /app/certs-example/
# The cells of deploy/scale/docker-compose.yml (SCALE.md), each relay's folder a volume there.
COPY --chown=10001:10001 deploy/scale/ /app/deploy/scale/
# config/cell.example.toml puts the journal at ../target/example-journal, i.e. here. Created
# owned by the relay's user so that a named volume mounted on it starts with that owner.
RUN mkdir -p /app/target/example-journal \
    && chown -R 10001:10001 /app/target \
    && chmod 0600 /app/certs-example/keys/*.key /app/certs-example/tls/relay-tls.key
USER 10001:10001
# Plain log lines (no colour escapes) for `docker logs`; RUST_LOG sets verbosity, and
# `--log-format json` makes each line one JSON object for a log collector.
ENV NO_COLOR=1 RUST_LOG=info
EXPOSE 8443
VOLUME ["/app/target/example-journal"]
# SIGTERM: the relay stops accepting, sends owed acknowledgements, closes sessions with 1001
# and writes a final signed checkpoint.
STOPSIGNAL SIGTERM
ENTRYPOINT ["fusioncell"]
# The container must listen on 0.0.0.0 to be reachable through a published port, and the
# example cell's keys are public: the relay refuses that pair unless told it is a demo.
CMD ["relay", "--config", "config/cell.example.toml", "--listen", "0.0.0.0:8443", "--insecure-demo-keys"]
