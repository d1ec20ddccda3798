#include "lib/kms/root_keys.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/common/secret_bytes.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/random.h"
#include "lib/kms/x509.h"

namespace chainkms::kms {
namespace {

constexpr size_t kMaxFileBytes = size_t{64} * 1024;

std::string Join(const std::string& dir, const char* file) {
  return dir.empty() || dir.back() == '/' ? absl::StrCat(dir, file) : absl::StrCat(dir, "/", file);
}

absl::Status FileError(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(what)));
}

// Reads a whole file. `secret`: refuse group/other permissions (checked on the opened file, so
// a Kubernetes Secret's symlinks are followed to what is actually read).
absl::StatusOr<SecretBytes> ReadFile(const std::string& path, bool secret) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return FileError(
        path, errno == ENOENT ? "missing" : absl::StrCat("cannot open: ", std::strerror(errno)));
  }
  struct stat st = {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return FileError(path, "not a regular file");
  }
  if (secret && (st.st_mode & 077) != 0) {
    close(fd);
    return FileError(path, absl::StrFormat("permissions %04o are too open: a key file must not be "
                                           "readable by group or others (chmod 600)",
                                           st.st_mode & 07777));
  }
  if (st.st_size > static_cast<off_t>(kMaxFileBytes)) {
    close(fd);
    return FileError(path, "larger than 64 KiB");
  }
  SecretBytes data(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (got != data.size()) return FileError(path, "short read");
  return data;
}

absl::Status WriteNewFile(const std::string& path, ByteView data, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path, ": exists; refusing to overwrite"));
    }
    return FileError(path, absl::StrCat("cannot create: ", std::strerror(errno)));
  }
  size_t put = 0;
  while (put < data.size()) {
    const ssize_t n = write(fd, data.data() + put, data.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    put += static_cast<size_t>(n);
  }
  const bool ok = put == data.size() && fchmod(fd, mode) == 0 && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    return FileError(path, "write failed");
  }
  return absl::OkStatus();
}

}  // namespace

Bytes RootKeys::CaSpkiDer() const { return P256SpkiDer(ca.PublicKeyUncompressed()); }

KmsInfo RootKeys::OnChainInfo() const {
  const FixedBytes<33> k = K256PublicKey();
  return KmsInfo{.k256_pubkey = Bytes(k.begin(), k.end()), .ca_pubkey = CaSpkiDer()};
}

absl::StatusOr<RootKeys> LoadKeyDir(const std::string& dir) {
  const std::string ca_path = Join(dir, kRootCaKeyFile);
  const std::string k256_path = Join(dir, kRootK256KeyFile);
  const std::string cert_path = Join(dir, kRootCaCertFile);

  ASSIGN_OR_RETURN(SecretBytes ca_pem, ReadFile(ca_path, /*secret=*/true));
  absl::StatusOr<P256PrivateKey> ca = ParseP256PrivateKeyPem(ca_pem.view());
  if (!ca.ok()) return FileError(ca_path, std::string(ca.status().message()));

  ASSIGN_OR_RETURN(SecretBytes k256_raw, ReadFile(k256_path, /*secret=*/true));
  if (k256_raw.size() != 32) {
    return FileError(k256_path,
                     absl::StrCat("must hold exactly 32 raw bytes, has ", k256_raw.size()));
  }
  absl::StatusOr<Secp256k1PrivateKey> k256 = Secp256k1PrivateKey::FromBytes(k256_raw.view());
  if (!k256.ok()) return FileError(k256_path, "not a valid secp256k1 scalar");

  ASSIGN_OR_RETURN(SecretBytes cert_pem, ReadFile(cert_path, /*secret=*/false));
  absl::StatusOr<Bytes> cert = CertPemToDer(cert_pem.view());
  if (!cert.ok()) return FileError(cert_path, std::string(cert.status().message()));
  absl::StatusOr<FixedBytes<65>> cert_key = CertP256PublicKey(*cert);
  if (!cert_key.ok()) return FileError(cert_path, std::string(cert_key.status().message()));
  if (*cert_key != ca->PublicKeyUncompressed()) {
    return FileError(cert_path, absl::StrCat("is not the certificate of ", kRootCaKeyFile));
  }
  absl::StatusOr<std::shared_ptr<const CaIssuer>> issuer = CaIssuer::Create(*ca, *cert);
  if (!issuer.ok()) return FileError(cert_path, std::string(issuer.status().message()));
  return RootKeys{.ca = *std::move(ca),
                  .k256 = *std::move(k256),
                  .ca_cert_der = *std::move(cert),
                  .ca_issuer = *std::move(issuer)};
}

absl::StatusOr<RootKeys> InitKeyDir(const std::string& dir, absl::Time now) {
  if (dir.empty()) return absl::InvalidArgumentError("--dir: empty");
  // Like mkdir -p, each directory created 0700.
  for (size_t at = dir.find('/', 1);; at = dir.find('/', at + 1)) {
    const std::string prefix = at == std::string::npos ? dir : dir.substr(0, at);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return FileError(prefix, absl::StrCat("cannot create: ", std::strerror(errno)));
    }
    if (at == std::string::npos) break;
  }
  for (const char* f : {kRootCaKeyFile, kRootK256KeyFile, kRootCaCertFile}) {
    struct stat st = {};
    if (lstat(Join(dir, f).c_str(), &st) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(Join(dir, f), ": exists; refusing to overwrite existing keys"));
    }
  }
  absl::StatusOr<P256PrivateKey> ca = absl::InternalError("unset");
  while (!ca.ok()) ca = P256PrivateKey::FromScalar(RandomSecret(32).view());
  Secp256k1PrivateKey k256 = Secp256k1PrivateKey::Generate();
  ASSIGN_OR_RETURN(Bytes cert, MakeRootCaCert(*ca, {.not_before = now}));

  std::vector<std::string> written;
  auto write = [&](const char* f, ByteView data, mode_t mode) -> absl::Status {
    absl::Status s = WriteNewFile(Join(dir, f), data, mode);
    if (!s.ok()) {
      for (const std::string& w : written) unlink(w.c_str());
      return s;
    }
    written.push_back(Join(dir, f));
    return absl::OkStatus();
  };
  SecretBytes pem = P256Pkcs8Pem(*ca);
  if (pem.empty()) return absl::InternalError("OpenSSL: PEM encoding failed");
  RETURN_IF_ERROR(write(kRootCaKeyFile, pem.view(), 0600));
  RETURN_IF_ERROR(write(kRootK256KeyFile, k256.secret().view(), 0600));
  const std::string cert_pem = CertDerToPem(cert);
  RETURN_IF_ERROR(write(kRootCaCertFile, AsBytes(cert_pem), 0644));
  ASSIGN_OR_RETURN(std::shared_ptr<const CaIssuer> issuer, CaIssuer::Create(*ca, cert));
  return RootKeys{.ca = *std::move(ca),
                  .k256 = std::move(k256),
                  .ca_cert_der = std::move(cert),
                  .ca_issuer = std::move(issuer)};
}

absl::Status ProtectProcessSecrets() {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(absl::StrCat("prctl(PR_SET_DUMPABLE): ", std::strerror(errno)));
  }
  struct rlimit none = {0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    return absl::InternalError(absl::StrCat("setrlimit(RLIMIT_CORE): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace chainkms::kms
