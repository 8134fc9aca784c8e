# Builds the activa binary into a small image; used by docker-compose.yml.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/activa ./cmd/activa

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/activa /usr/local/bin/activa
ENTRYPOINT ["/usr/local/bin/activa"]
