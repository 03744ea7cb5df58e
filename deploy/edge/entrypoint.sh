#!/bin/sh
# Edge entry point: make the self-signed certificate on first start, render nginx.conf from
# the environment, then exec nginx in the foreground (it gets the stop signal directly).
set -eu

tls=/etc/edge-tls
run=/run/edge
if [ ! -s "$tls/tls.crt" ] || [ ! -s "$tls/tls.key" ]; then
    echo "edge: generating a self-signed certificate for $EDGE_SERVER_NAME" >&2
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
        -subj "/CN=$EDGE_SERVER_NAME" \
        -addext "subjectAltName=DNS:$EDGE_SERVER_NAME,DNS:localhost,IP:127.0.0.1" \
        -keyout "$tls/tls.key.tmp" -out "$tls/tls.crt.tmp" 2>/dev/null
    mv "$tls/tls.key.tmp" "$tls/tls.key"
    mv "$tls/tls.crt.tmp" "$tls/tls.crt"
    umask 022
fi

# Only these four values are substituted; they are checked so they cannot inject config.
for v in "$EDGE_UPSTREAM" "$EDGE_RESOLVER" "$EDGE_SERVER_NAME" "$EDGE_HTTPS_PORT"; do
    case $v in *[!A-Za-z0-9.:_\[\]-]* | "")
        echo "edge: invalid EDGE_* value: '$v'" >&2
        exit 2
        ;;
    esac
done
if [ "$EDGE_HTTPS_PORT" = 443 ]; then https_suffix=""; else https_suffix=":$EDGE_HTTPS_PORT"; fi
sed -e "s|@UPSTREAM@|$EDGE_UPSTREAM|g" -e "s|@RESOLVER@|$EDGE_RESOLVER|g" \
    -e "s|@SERVER_NAME@|$EDGE_SERVER_NAME|g" -e "s|@HTTPS_SUFFIX@|$https_suffix|g" \
    -e "s|@TLS@|$tls|g" -e "s|@RUN@|$run|g" \
    /etc/edge/nginx.conf.in >"$run/nginx.conf"
nginx -t -q -c "$run/nginx.conf" -e stderr
exec nginx -c "$run/nginx.conf" -e stderr -g 'daemon off;'
