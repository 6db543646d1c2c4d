#include "core/origin_policy.h"

namespace arca::core {

const char* restriction_name(Restriction r) {
  switch (r) {
    case Restriction::kPublish:
      return "PUBLISH";
    case Restriction::kExternalUpstream:
      return "EXTERNAL_UPSTREAM";
    case Restriction::kInternalUpstream:
      return "INTERNAL_UPSTREAM";
  }
  return "PUBLISH";
}

}  // namespace arca::core
