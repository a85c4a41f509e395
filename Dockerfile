# feast-admission container image.
#
#   docker build -t feast-admission:0.1.0 .
#
# The build stage runs the same scripts as CI (.ci/deps, .ci/build), so the image holds
# exactly the binary CI tested. The runtime stage has the same Debian release, so the
# shared libraries match the ones the binary was linked against.

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY . .
RUN .ci/deps
RUN .ci/build -DFEAST_BUILD_TESTS=OFF

FROM debian:bookworm-slim
# Only the shared libraries the binary links (see `ldd feast-admission`) and the CA
# certificates for talking to the Kubernetes API; libc, libstdc++ and libgcc are in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libssl3 libyaml-cpp0.7 libsimdjson14 libmimalloc2.0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/feast-admission /usr/local/bin/feast-admission
# The same fixed non-root UID/GID as the Deployment's securityContext (runAsUser 65532).
USER 65532:65532
EXPOSE 9443 8081 8080
ENTRYPOINT ["feast-admission", "serve"]
