#pragma once
// JSON shapes of the CodeArtifact model (reference §1.7). Internal to api/.
#include <boost/json.hpp>

#include "core/control_plane.h"

namespace arca::api {

boost::json::object domain_description(const core::ControlPlane& cp, const core::DomainView& d);
boost::json::object domain_summary(const core::ControlPlane& cp, const store::Domain& d);
boost::json::object repository_description(const core::ControlPlane& cp,
                                           const store::Repository& r);
boost::json::object repository_summary(const core::ControlPlane& cp, const store::Repository& r);

}  // namespace arca::api
