# Build: a static binary. Run: distroless, non-root.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The context holds no .git: the commit comes as a build argument, for
# `shakwa version` (docker build --build-arg REVISION=$(git rev-parse --short HEAD)).
ARG REVISION=
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.revision=${REVISION}" -o /out/shakwa ./cmd/shakwa
RUN mkdir -p /out/files

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shakwa /usr/local/bin/shakwa
# No configuration is built in: mount yours at /etc/shakwa/config.yaml
# (serve says so without one, and refuses config.example.yaml, whose people
# are placeholders). `docker run -e SHAKWA_CONFIG= IMAGE demo` runs the
# demo on the example it has built in.
# Files people send are kept here: mount a volume (owned by nonroot).
COPY --from=build --chown=65532:65532 /out/files /var/lib/shakwa/files
ENV SHAKWA_CONFIG=/etc/shakwa/config.yaml HTTP_ADDR=:8080 FILES_DIR=/var/lib/shakwa/files
EXPOSE 8080
USER nonroot:nonroot
# No curl here: the binary asks its own /healthz, on HTTP_ADDR's port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/shakwa", "health"]
ENTRYPOINT ["/usr/local/bin/shakwa"]
CMD ["serve"]
