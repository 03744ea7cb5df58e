#!/bin/sh
# Edge entry point: render nginx.conf from the environment, then exec nginx in the foreground
# (it gets the stop signal directly).
#
#   EDGE_TLS=on  (default, the compose stack): HTTP → HTTPS redirect on 8080, TLS on 8443 with
#                a self-signed certificate made on first start unless one is mounted; the web
#                console at /, /api/ and the websocket feed proxied to EDGE_UPSTREAM.
#   EDGE_TLS=off (the Kubernetes console pod, behind an Ingress that terminates TLS): plain
#                HTTP on 8080 with the same console, headers and /api/ proxy
#                (deploy/console/nginx.conf.in, the template of the dev runner's nginx).
set -eu

tls=/etc/edge-tls
run=/run/edge
mode=${EDGE_TLS:-on}

resolver=$EDGE_RESOLVER
if [ "$resolver" = auto ]; then
    # The pod's own DNS server (Kubernetes: kube-dns); nginx needs an address.
    resolver=$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)
    case $resolver in *:*) resolver="[$resolver]" ;; esac
fi

# Only these values are substituted; they are checked so they cannot inject config.
for v in "$EDGE_UPSTREAM" "$resolver" "$EDGE_SERVER_NAME" "$EDGE_HTTPS_PORT"; do
    case $v in *[!A-Za-z0-9.:_\[\]-]* | "")
        echo "edge: invalid EDGE_* value: '$v'" >&2
        exit 2
        ;;
    esac
done

case $mode in
on)
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
    if [ "$EDGE_HTTPS_PORT" = 443 ]; then https_suffix=""; else https_suffix=":$EDGE_HTTPS_PORT"; fi
    sed -e "s|@UPSTREAM@|$EDGE_UPSTREAM|g" -e "s|@RESOLVER@|$resolver|g" \
        -e "s|@SERVER_NAME@|$EDGE_SERVER_NAME|g" -e "s|@HTTPS_SUFFIX@|$https_suffix|g" \
        -e "s|@TLS@|$tls|g" -e "s|@RUN@|$run|g" \
        /etc/edge/nginx.conf.in >"$run/nginx.conf"
    ;;
off)
    sed -e "s|@LISTEN@|8080|g" -e "s|@RUN@|$run|g" -e "s|@ROOT@|/usr/share/valor-console|g" \
        -e "s|@CONF@|/etc/edge/console|g" -e "s|@UPSTREAM@|http://$EDGE_UPSTREAM|g" \
        -e "s|@USER@|# unprivileged: no user directive|g" \
        -e "s|@RESOLVER@|resolver $resolver valid=10s ipv6=off;|g" \
        -e "s|@ACCESS_LOG@|/dev/stdout|g" -e "s|@ERROR_LOG@|stderr|g" \
        /etc/edge/console/nginx.conf.in >"$run/nginx.conf"
    ;;
*)
    echo "edge: EDGE_TLS must be on or off, got '$mode'" >&2
    exit 2
    ;;
esac
nginx -t -q -c "$run/nginx.conf" -e stderr
exec nginx -c "$run/nginx.conf" -e stderr -g 'daemon off;'
