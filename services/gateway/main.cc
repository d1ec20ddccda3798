// chainkms-gateway: `apikeys` subcommands or flags → Config → Run. See services/gateway/server.h.
#include "services/gateway/server.h"

int main(int argc, char** argv) { return chainkms::gateway::Main(argc, argv); }
