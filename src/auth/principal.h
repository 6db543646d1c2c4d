#pragma once
// The authenticated caller of a request: an IAM-style user of one account, identified by the
// access key it signed with (SigV4) or that issued its authorization token.
#include <string>

namespace arca::auth {

struct Principal {
  std::string account_id;
  std::string user_name;
  std::string access_key_id;

  // arn:aws:iam::ACCOUNT:user/NAME
  std::string arn() const { return "arn:aws:iam::" + account_id + ":user/" + user_name; }

  friend bool operator==(const Principal&, const Principal&) = default;
};

}  // namespace arca::auth
