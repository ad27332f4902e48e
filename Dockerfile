# fusioncell relay image: the `fusioncell` binary plus the example cell (config/) and its
# public development keys and certificates (certs-example/). For a real exercise, mount your
# own cell folder and run `fusioncell relay --config /cell/cell.toml` instead.
#
#   docker compose up --build        (see docker-compose.yml)

# --- build -------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# --locked: build exactly the dependency versions of Cargo.lock.
RUN cargo build --release --locked -p fusioncell

# --- run ---------------------------------------------------------------------------------
FROM debian:bookworm-slim
# The relay needs no system CA store (clients trust the cell's own CA) and no OpenSSL
# (rustls with ring is linked in).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fusioncell
WORKDIR /app
COPY --from=build /src/target/release/fusioncell /usr/local/bin/fusioncell
COPY --chown=10001:10001 config/ /app/config/
COPY --chown=10001:10001 certs-example/ /app/certs-example/
# config/cell.example.toml puts the journal at ../target/example-journal, i.e. here. Created
# owned by the relay's user so that a named volume mounted on it starts with that owner.
RUN mkdir -p /app/target/example-journal \
    && chown -R 10001:10001 /app/target \
    && chmod 0600 /app/certs-example/keys/*.key /app/certs-example/tls/relay-tls.key
USER 10001:10001
# Plain log lines (no colour escapes) for `docker logs`; RUST_LOG sets verbosity.
ENV NO_COLOR=1 RUST_LOG=info
EXPOSE 8443
VOLUME ["/app/target/example-journal"]
# SIGTERM: the relay stops accepting, sends owed acknowledgements, closes sessions with 1001
# and writes a final signed checkpoint.
STOPSIGNAL SIGTERM
ENTRYPOINT ["fusioncell"]
CMD ["relay", "--config", "config/cell.example.toml", "--listen", "0.0.0.0:8443"]
