// Provisioning load: prepare-only → commit-update cycles per second through
// chainkms.v1.Provisioning (gRPC, a real Store, the registry answered in memory so the chain is not
// what is measured), on SQLite and on PostgreSQL with one and two service instances, against the
// raw Store operations one cycle is made of (the same calls made directly, same threads). Also
// counts registry round trips per cycle. Prints one JSON object.
//
//   chainkms_provisioning_load [--cycles N] [--threads T] [--engines sqlite,postgres]
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "absl/strings/str_split.h"
#include "bench/load_util.h"
#include "lib/crypto/hash.h"
#include "lib/testing/postgres.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/provisioning/provisioning_fixture_test.h"

namespace chainkms::provisioning {
namespace {

constexpr char kProgram[] = "chainkms_provisioning_load";
using json = nlohmann::json;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One CVM per client thread (so threads do not supersede each other's tokens), deployed on `h`.
std::string Deploy(Harness& h, FakeChain& chain, int i) {
  pb::ProvisionCvmRequest prov;
  prov.set_name("bench");
  prov.mutable_compose()->set_docker_compose_file(absl::StrCat("services: {t", i, ": {}}\n"));
  prov.set_kms("anvil");
  pb::ProvisionCvmResponse p;
  grpc::Status s = h.stub().ProvisionCvm(In("ws").get(), prov, &p);
  if (!s.ok()) bench::Die(kProgram, absl::InternalError(s.error_message()), "ProvisionCvm");
  const std::string app(20, static_cast<char>(0x40 + i));
  chain.Register(app, p.compose_hash(), RawOf(HashOf(0xd1)));
  pb::CommitCvmProvisionRequest commit;
  commit.set_app_id(app);
  commit.set_compose_hash(p.compose_hash());
  pb::CommitCvmProvisionResponse c;
  s = h.stub().CommitCvmProvision(In("ws").get(), commit, &c);
  if (!s.ok()) bench::Die(kProgram, absl::InternalError(s.error_message()), "CommitCvmProvision");
  return c.cvm().id();
}

// cycles/s of prepare-only → commit-update through gRPC with `instances` service replicas.
json ServiceCycles(const std::string& url, int instances, int threads, int cycles) {
  testutil::FakeClock clock(absl::Now());
  FakeChain chain;
  std::vector<std::unique_ptr<Harness>> replicas;
  for (int i = 0; i < instances; ++i)
    replicas.push_back(std::make_unique<Harness>(url, chain, clock));
  std::vector<std::string> cvms;
  for (int t = 0; t < threads; ++t)
    cvms.push_back(Deploy(*replicas[t % instances], chain, t + instances * 100));
  const int64_t rt_before = replicas[0]->registry().round_trips() +
                            (instances > 1 ? replicas[1]->registry().round_trips() : 0);
  std::atomic<int> failures{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int c = 0; c < cycles; ++c) {
        // Prepare on one replica, commit on the other (when there are two).
        Harness& prep_on = *replicas[(t + c) % instances];
        Harness& commit_on = *replicas[(t + c + 1) % instances];
        pb::PatchCvmRequest patch;
        patch.set_cvm_id(cvms[t]);
        patch.mutable_compose()->set_docker_compose_file(
            absl::StrCat("services: {t", t, "c", c, ": {}}\n"));
        patch.set_prepare_only(true);
        pb::PatchCvmResponse prepared;
        if (!prep_on.stub().PatchCvm(In("ws").get(), patch, &prepared).ok()) {
          ++failures;
          continue;
        }
        chain.AllowHash(std::string(20, static_cast<char>(0x40 + t + instances * 100)),
                        prepared.requires_on_chain_hash().compose_hash());
        pb::CommitCvmUpdateRequest req;
        req.set_cvm_id(cvms[t]);
        req.set_token(prepared.requires_on_chain_hash().commit_token());
        req.set_already_registered(true);
        pb::CommitCvmUpdateResponse resp;
        if (!commit_on.stub().CommitCvmUpdate(In("").get(), req, &resp).ok()) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  const double secs = Seconds(start);
  const int64_t rt_after = replicas[0]->registry().round_trips() +
                           (instances > 1 ? replicas[1]->registry().round_trips() : 0);
  const double total = static_cast<double>(threads) * cycles;
  return {{"instances", instances},
          {"cycles", total},
          {"seconds", secs},
          {"cycles_per_s", total / secs},
          {"failures", failures.load()},
          {"registry_round_trips_per_cycle", static_cast<double>(rt_after - rt_before) / total}};
}

// The Store operations one cycle makes (PatchCvm: GetCvm, CreatePendingUpdate; CommitCvmUpdate:
// GetPendingByToken, GetCvm ×3, ApplyPendingUpdate, SetCvmStatus ×2 from the node's reports),
// called directly from the same number of threads.
json RawCycles(const std::string& url, int threads, int cycles) {
  auto store = bench::Must(kProgram, ProvisioningStore::Open(url, {}, nullptr), "open store");
  for (int t = 0; t < threads; ++t) {
    CvmRecord cvm{.id = absl::StrCat("cvm_raw", t),
                  .workspace = "ws",
                  .name = "raw",
                  .app_id = {},
                  .status = "running",
                  .created_at = 1,
                  .updated_at = 1};
    cvm.app_id.bytes.fill(static_cast<uint8_t>(0xa0 + t));
    bench::Must(kProgram, store->CreateCvm(cvm, {}), "create raw cvm");
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string id = absl::StrCat("cvm_raw", t);
      for (int c = 0; c < cycles; ++c) {
        const std::string token = absl::StrCat("tok", t, ".", c);
        const Hash32 th = Sha256(AsBytes(token));
        PendingUpdate u{.id = absl::StrCat("upd_raw", t, ".", c),
                        .cvm_id = id,
                        .workspace = "ws",
                        .compose_hash = th,
                        .app_compose = "{}",
                        .token_hash = Bytes(th.bytes.begin(), th.bytes.end()),
                        .created_at = 1,
                        .expires_at = int64_t{1} << 40};
        bool ok = store->GetCvm("ws", id).ok() && store->CreatePendingUpdate(u, {}).ok();
        absl::StatusOr<PendingUpdate> p = store->GetPendingByToken(u.token_hash);
        ok = ok && p.ok() && store->GetCvm("ws", id).ok() && store->GetCvm("ws", id).ok() &&
             store->ApplyPendingUpdate(*p, 2, {}).ok() &&
             store->SetCvmStatus(id, "starting", "", 2, {}).ok() &&
             store->SetCvmStatus(id, "running", "", 2, {}).ok() && store->GetCvm("ws", id).ok();
        if (!ok) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  const double secs = Seconds(start);
  const double total = static_cast<double>(threads) * cycles;
  return {{"cycles", total},
          {"seconds", secs},
          {"cycles_per_s", total / secs},
          {"failures", failures.load()}};
}

int Main(int argc, char** argv) {
  int cycles = 200;
  int threads = 2;
  std::string engines = "sqlite,postgres";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--cycles") cycles = std::atoi(argv[i + 1]);
    if (a == "--threads") threads = std::atoi(argv[i + 1]);
    if (a == "--engines") engines = argv[i + 1];
  }
  server::Logger::Default().SetLevel(server::LogLevel::kError);
  json out = {{"cycles_per_thread", cycles}, {"threads", threads}, {"engines", json::object()}};
  for (absl::string_view e : absl::StrSplit(engines, ',')) {
    testutil::TempDir dir;
    std::unique_ptr<testutil::PostgresProcess> pg;
    auto url_for = [&](const std::string& name) {
      if (e == "postgres") {
        auto db = bench::Must(kProgram, store::OpenDatabase(pg->url()), "open postgres");
        (void)db->Exec("DROP SCHEMA public CASCADE");
        (void)db->Exec("CREATE SCHEMA public");
        return pg->url();
      }
      return "sqlite:" + dir.path() + "/" + name + ".db";
    };
    if (e == "postgres") pg = bench::Must(kProgram, testutil::PostgresProcess::Start(), "postgres");
    json r;
    r["raw_store"] = RawCycles(url_for("raw"), threads, cycles);
    r["one_instance"] = ServiceCycles(url_for("one"), 1, threads, cycles);
    r["two_instances"] = ServiceCycles(url_for("two"), 2, threads, cycles);
    r["ratio_one_vs_raw"] = r["one_instance"]["cycles_per_s"].get<double>() /
                            r["raw_store"]["cycles_per_s"].get<double>();
    out["engines"][std::string(e)] = r;
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace chainkms::provisioning

int main(int argc, char** argv) {
  try {
    return chainkms::provisioning::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "chainkms_provisioning_load: " << e.what() << "\n";
    return 1;
  }
}
