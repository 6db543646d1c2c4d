// The one translation unit that compiles Boost.Asio and Boost.Beast (the build defines
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION globally).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
