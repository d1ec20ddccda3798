// chainkms-kms: subcommands or flags → Config → Run. See services/kms/server.h.
#include "services/kms/server.h"

int main(int argc, char** argv) { return chainkms::kms::Main(argc, argv); }
