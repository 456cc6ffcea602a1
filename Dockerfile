# Build stage: compile tgmux.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo build --release --locked --bin tgmux

# Final image: the binary and tmux. Install your agent CLI on top of this image
# (or set TGMUX_AGENT to one that is present).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends tmux ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/tgmux /usr/local/bin/tgmux
ENV TGMUX_DATA_DIR=/data
VOLUME /data
ENTRYPOINT ["tgmux"]
CMD ["run"]
