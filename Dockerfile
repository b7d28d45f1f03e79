# syntax=docker/dockerfile:1
# The gitcanary image: built from this workspace, run as an unprivileged user with no shell.
#   docker build -t REGISTRY/gitcanary:TAG .

# The workspace's rust-version.
FROM rust:1.89-bookworm AS build
WORKDIR /src
# git2's libgit2 and libssh2 are compiled from the sources their -sys crates vendor, and zlib is
# linked statically, so at run time the binary needs only glibc, libgcc and OpenSSL (libssl3).
ENV LIBZ_SYS_STATIC=1
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin gitcanary \
    && cp target/release/gitcanary /usr/local/bin/gitcanary

# glibc, libgcc, OpenSSL and CA certificates; user 65532 (nonroot).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/gitcanary /usr/local/bin/gitcanary
USER 65532:65532
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/gitcanary"]
CMD ["run"]
