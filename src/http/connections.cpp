// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/connections.hpp"

#include <algorithm>

namespace slurm_exporter::http::detail {

ClientKey client_key(const net::ip::address& address) {
  ClientKey key{};
  if (address.is_v4()) {
    const auto v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), key.begin());
    return key;
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return client_key(net::ip::make_address_v4(net::ip::v4_mapped, v6));
  }
  const auto bytes = v6.to_bytes();
  std::copy_n(bytes.begin(), 8, key.begin());  // the /64 prefix
  key[15] = 6;  // never equal to an IPv4 key, whose last 12 bytes are zero
  return key;
}

}  // namespace slurm_exporter::http::detail
