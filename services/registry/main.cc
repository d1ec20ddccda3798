// chainkms-registry: flags → Config → Run. See services/registry/server.h.
#include "services/registry/server.h"

int main(int argc, char** argv) { return chainkms::registry::Main(argc, argv); }
