# kiln's GitHub Action image (action.yml: `runs: using: docker, image: Dockerfile`).
#
# Stages:
#   build   compiles kiln from source (the default), or takes a binary
#           already built for the same platform: --build-arg KILN_PREBUILT=PATH
#           (PATH inside the build context, e.g. dist/kiln).
#   rootfs  a pinned Debian with what provisioners need at run time (an ssh
#           client, a POSIX shell and utilities); scripts/image-rootfs.sh
#           copies just those files, their libraries and kiln into /rootfs.
#           --build-arg WITH_ANSIBLE=true also installs ansible-core and keeps
#           the whole Debian system (much larger).
#   final   FROM scratch + /rootfs. Runs as root, as Docker actions require;
#           the entrypoint is kiln (action.yml passes `github-action`).
#
# Base images are pinned to exact tags; override them (e.g. with a mirror or
# a digest) with --build-arg RUST_IMAGE=… / DEBIAN_IMAGE=….
ARG RUST_IMAGE=docker.io/library/rust:1.95.0-slim-bookworm
ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-20250520-slim

FROM ${RUST_IMAGE} AS build
ARG KILN_PREBUILT=""
WORKDIR /src
COPY . .
ENV CARGO_PROFILE_RELEASE_STRIP=true CARGO_TERM_COLOR=never
RUN if [ -n "$KILN_PREBUILT" ]; then \
        install -D -m 0755 "$KILN_PREBUILT" /out/kiln; \
    else \
        cargo build --release --locked -p kiln && \
        install -D -m 0755 target/release/kiln /out/kiln; \
    fi && /out/kiln version

FROM ${DEBIAN_IMAGE} AS rootfs
ARG WITH_ANSIBLE=false
SHELL ["/bin/sh", "-eu", "-c"]
# Package versions follow the pinned Debian release (security updates
# included); exact package pins would break as soon as the mirror moves on.
# $extra is a word list on purpose.
# hadolint ignore=DL3008,SC2086
RUN apt-get update && \
    extra=""; [ "$WITH_ANSIBLE" != true ] || extra="ansible-core python3"; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openssh-client ca-certificates busybox-static $extra && \
    rm -rf /var/lib/apt/lists/*
COPY --from=build /out/kiln /usr/local/bin/kiln
COPY scripts/image-rootfs.sh /usr/local/sbin/image-rootfs
RUN WITH_ANSIBLE="$WITH_ANSIBLE" /usr/local/sbin/image-rootfs /rootfs

FROM scratch
COPY --from=rootfs /rootfs /
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    HOME=/root \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /github/workspace
ENTRYPOINT ["/usr/local/bin/kiln"]
