# Sourced by scripts/cluster and scripts/k8s/*: where the cache lives, which versions are
# pinned, and where each built binary goes. Every Go download and build artefact stays in
# the paas cache directory, outside the repository, so a warm cache needs no network.
k8s_scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
paas_cache_dir=${PAAS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paas}
paas_k8s_cache=$paas_cache_dir/k8s
k8s_version=${PAAS_K8S_VERSION:-v1.36.3}
gateway_api_version=${PAAS_GATEWAY_API_VERSION:-v1.5.1}

# The version of MODULE that the wrapper module in DIR pins in its go.mod.
pinned_version() { # DIR MODULE
  sed -n "s#^\(require \|\t\)$2 \(v[^ ]*\).*#\2#p" "$1/go.mod" | head -n 1
}
etcd_version=$(pinned_version "$k8s_scripts/etcd" go.etcd.io/etcd/server/v3)
kwok_version=$(pinned_version "$k8s_scripts/kwok" sigs.k8s.io/kwok)
helm_version=$(pinned_version "$k8s_scripts/helm" helm.sh/helm/v3)

bin_kubernetes=$paas_k8s_cache/bin/kubernetes-$k8s_version
bin_etcd=$paas_k8s_cache/bin/etcd-$etcd_version
bin_kwok=$paas_k8s_cache/bin/kwok-$kwok_version
bin_helm=$paas_k8s_cache/bin/helm-$helm_version

go_env() {
  export GOPATH=$paas_k8s_cache/go
  export GOMODCACHE=$GOPATH/mod
  export GOCACHE=$GOPATH/build
  export GOFLAGS="-mod=readonly -buildvcs=false"
  export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
}
